import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The TOTP second factor (src/mfa): one credential per user, pending until its first code is checked
 * (`enabled_at` null), its secret encrypted by the application (never stored in the clear), and the last
 * time step a code was accepted for, so that no code is accepted twice; the user's recovery codes as
 * SHA-256 hashes; users.mfa_enabled for the user object. And the ALTCHA challenges already spent
 * (src/captcha), kept until they expire so that every instance refuses a replay.
 */
export class SecondFactorAndCaptcha1764000005200 implements MigrationInterface {
  name = 'SecondFactorAndCaptcha1764000005200';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER TABLE users ADD COLUMN mfa_enabled boolean NOT NULL DEFAULT false`);
    await queryRunner.query(`
      CREATE TABLE totp_credentials (
        user_id uuid PRIMARY KEY REFERENCES users (id) ON DELETE CASCADE,
        secret_encrypted text NOT NULL,
        enabled_at timestamptz,
        last_used_step bigint NOT NULL DEFAULT 0,
        created_at timestamptz NOT NULL DEFAULT now()
      )`);
    await queryRunner.query(`
      CREATE TABLE mfa_recovery_codes (
        user_id uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
        code_hash bytea NOT NULL,
        used_at timestamptz,
        PRIMARY KEY (user_id, code_hash)
      )`);
    await queryRunner.query(`
      CREATE TABLE captcha_spent_challenges (
        signature text PRIMARY KEY,
        expires_at timestamptz NOT NULL
      )`);
    await queryRunner.query(
      `CREATE INDEX captcha_spent_challenges_expires_idx ON captcha_spent_challenges (expires_at)`,
    );
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP TABLE captcha_spent_challenges`);
    await queryRunner.query(`DROP TABLE mfa_recovery_codes`);
    await queryRunner.query(`DROP TABLE totp_credentials`);
    await queryRunner.query(`ALTER TABLE users DROP COLUMN mfa_enabled`);
  }
}
