import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The e-mail flows and account lockout (src/account):
 * - users.email_verified. Accounts that exist before this migration are marked verified: they were
 *   admitted under the old rules (approved or created by an admin), no verification e-mail was ever sent to
 *   them, and with EMAIL_VERIFICATION=required a `false` would lock every one of them out, the operator's
 *   own admin included. New rows default to false; sign-up sends them the link.
 * - users.failed_login_count / lockout_count / locked_until: the lockout state, on the row it protects so
 *   that one UPDATE changes it atomically, every instance shares it and a restart keeps it.
 * - email_tokens: single-use verification and reset tokens, only their SHA-256 stored.
 * - account_email_requests: forgot-password and resend-verification requests, stored as they come and
 *   handled by a worker, so that the answer costs the same whether or not the address has an account.
 * - signup_notice_queue and admin_notice_state: the sign-ups waiting to be named in the admins' next
 *   digest, and the one row that says when the last digest went out (locked while one is being sent).
 */
export class EmailTokensLockoutAndSignupNotices1764000005000 implements MigrationInterface {
  name = 'EmailTokensLockoutAndSignupNotices1764000005000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER TABLE users ADD COLUMN email_verified boolean NOT NULL DEFAULT true`);
    await queryRunner.query(`ALTER TABLE users ALTER COLUMN email_verified SET DEFAULT false`);
    await queryRunner.query(`
      ALTER TABLE users
        ADD COLUMN failed_login_count integer NOT NULL DEFAULT 0,
        ADD COLUMN lockout_count integer NOT NULL DEFAULT 0,
        ADD COLUMN locked_until timestamptz`);
    await queryRunner.query(`
      CREATE TABLE email_tokens (
        id bigserial PRIMARY KEY,
        user_id uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
        kind text NOT NULL CHECK (kind IN ('email_verification', 'password_reset')),
        token_hash bytea NOT NULL UNIQUE,
        created_at timestamptz NOT NULL DEFAULT now(),
        expires_at timestamptz NOT NULL,
        used_at timestamptz
      )`);
    await queryRunner.query(
      `CREATE INDEX email_tokens_unused_idx ON email_tokens (user_id, kind) WHERE used_at IS NULL`,
    );
    await queryRunner.query(`CREATE INDEX email_tokens_expires_idx ON email_tokens (expires_at)`);
    await queryRunner.query(`
      CREATE TABLE account_email_requests (
        id bigserial PRIMARY KEY,
        kind text NOT NULL CHECK (kind IN ('email_verification', 'password_reset')),
        email text NOT NULL,
        requested_at timestamptz NOT NULL DEFAULT now()
      )`);
    await queryRunner.query(`
      CREATE TABLE signup_notice_queue (
        user_id uuid PRIMARY KEY REFERENCES users (id) ON DELETE CASCADE,
        queued_at timestamptz NOT NULL DEFAULT now()
      )`);
    await queryRunner.query(`
      CREATE TABLE admin_notice_state (
        id boolean PRIMARY KEY DEFAULT true CHECK (id),
        last_digest_at timestamptz
      )`);
    await queryRunner.query(`INSERT INTO admin_notice_state (id) VALUES (true)`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP TABLE admin_notice_state`);
    await queryRunner.query(`DROP TABLE signup_notice_queue`);
    await queryRunner.query(`DROP TABLE account_email_requests`);
    await queryRunner.query(`DROP TABLE email_tokens`);
    await queryRunner.query(`
      ALTER TABLE users
        DROP COLUMN locked_until,
        DROP COLUMN lockout_count,
        DROP COLUMN failed_login_count,
        DROP COLUMN email_verified`);
  }
}
