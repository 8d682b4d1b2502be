import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Login sessions (src/sessions): one row per login, holding the SHA-256 of the session's current refresh
 * token; every token the chain has spent stays in spent_refresh_tokens so that presenting one again is
 * recognised as reuse. A change to a session is announced on channel `regshield_auth` as `session:<id>`,
 * for anything that keeps session state in memory.
 */
export class Sessions1764000005100 implements MigrationInterface {
  name = 'Sessions1764000005100';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`
      CREATE TABLE sessions (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        user_id uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
        created_at timestamptz NOT NULL DEFAULT now(),
        last_used_at timestamptz NOT NULL DEFAULT now(),
        expires_at timestamptz NOT NULL,
        revoked_at timestamptz,
        revoke_reason text,
        ip inet,
        user_agent text,
        refresh_token_hash bytea NOT NULL
      )`);
    await queryRunner.query(
      `CREATE INDEX sessions_user_active_idx ON sessions (user_id, created_at DESC) WHERE revoked_at IS NULL`,
    );
    await queryRunner.query(`CREATE INDEX sessions_expires_at_idx ON sessions (expires_at)`);
    await queryRunner.query(
      `CREATE INDEX sessions_revoked_at_idx ON sessions (revoked_at) WHERE revoked_at IS NOT NULL`,
    );
    await queryRunner.query(`
      CREATE TABLE spent_refresh_tokens (
        session_id uuid NOT NULL REFERENCES sessions (id) ON DELETE CASCADE,
        token_hash bytea NOT NULL,
        PRIMARY KEY (session_id, token_hash)
      )`);
    await queryRunner.query(`
      CREATE FUNCTION regshield_notify_session_change() RETURNS trigger
      LANGUAGE plpgsql AS $$
      BEGIN
        PERFORM pg_notify('regshield_auth', 'session:' || OLD.id);
        RETURN NULL;
      END $$`);
    await queryRunner.query(`
      CREATE TRIGGER sessions_changed AFTER UPDATE OR DELETE ON sessions
      FOR EACH ROW EXECUTE FUNCTION regshield_notify_session_change()`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP TABLE spent_refresh_tokens`);
    await queryRunner.query(`DROP TABLE sessions`);
    await queryRunner.query(`DROP FUNCTION regshield_notify_session_change()`);
  }
}
