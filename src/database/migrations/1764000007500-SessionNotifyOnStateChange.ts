import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * A session's `session:<id>` notification (migration Sessions) now goes out only when a column the in-memory
 * auth state keeps changes hands: id, user_id, expires_at or revoked_at (ACTIVE_SESSION_COLUMNS in
 * src/sessions/sessions.repository.ts), or when the row is deleted. A refresh rotates the token and moves
 * last_used_at and nothing else, so it no longer makes every instance drop the session and read it again;
 * a revocation still reaches every instance within 1 s.
 */
export class SessionNotifyOnStateChange1764000007500 implements MigrationInterface {
  name = 'SessionNotifyOnStateChange1764000007500';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP TRIGGER sessions_changed ON sessions`);
    await queryRunner.query(`
      CREATE TRIGGER sessions_changed AFTER UPDATE OF id, user_id, expires_at, revoked_at OR DELETE ON sessions
      FOR EACH ROW EXECUTE FUNCTION regshield_notify_session_change()`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP TRIGGER sessions_changed ON sessions`);
    await queryRunner.query(`
      CREATE TRIGGER sessions_changed AFTER UPDATE OR DELETE ON sessions
      FOR EACH ROW EXECUTE FUNCTION regshield_notify_session_change()`);
  }
}
