import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * passkeys (src/passkeys): a user's WebAuthn credentials, each with its public key and the signature counter
 * last seen (an assertion must raise it, or the credential may have been cloned). credential_id is the
 * authenticator's id (base64url), unique across users: a discoverable sign-in names no user, only it.
 *
 * webauthn_challenges: each challenge handed out for a registration or a sign-in, kept in the database so that
 * any instance can check the answer; deleted when used (once) and pruned when expired.
 *
 * admin_factor_grace: when ADMIN_MFA_REQUIRED first saw a superuser without the factor it asks for; the grace
 * period (ADMIN_MFA_GRACE_DAYS) counts from there and never restarts.
 */
export class PasskeysAndAdminFactorGrace1764000007100 implements MigrationInterface {
  name = 'PasskeysAndAdminFactorGrace1764000007100';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`
      CREATE TABLE passkeys (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        user_id uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
        credential_id varchar(1366) NOT NULL UNIQUE,
        public_key bytea NOT NULL,
        sign_count bigint NOT NULL DEFAULT 0,
        transports text[] NOT NULL DEFAULT '{}',
        device_type varchar(16) NOT NULL,
        backed_up boolean NOT NULL,
        name varchar(100) NOT NULL,
        created_at timestamptz NOT NULL DEFAULT now(),
        last_used_at timestamptz
      )`);
    await queryRunner.query(`CREATE INDEX passkeys_user_id_idx ON passkeys (user_id, created_at)`);
    await queryRunner.query(`
      CREATE TABLE webauthn_challenges (
        challenge varchar(128) PRIMARY KEY,
        purpose varchar(16) NOT NULL CHECK (purpose IN ('registration', 'sign_in')),
        user_id uuid REFERENCES users (id) ON DELETE CASCADE,
        expires_at timestamptz NOT NULL
      )`);
    await queryRunner.query(`CREATE INDEX webauthn_challenges_expires_at_idx ON webauthn_challenges (expires_at)`);
    await queryRunner.query(`
      CREATE TABLE admin_factor_grace (
        user_id uuid PRIMARY KEY REFERENCES users (id) ON DELETE CASCADE,
        started_at timestamptz NOT NULL DEFAULT now()
      )`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP TABLE admin_factor_grace`);
    await queryRunner.query(`DROP TABLE webauthn_challenges`);
    await queryRunner.query(`DROP TABLE passkeys`);
  }
}
