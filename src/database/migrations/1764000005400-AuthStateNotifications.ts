import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Every change to a user row notifies channel `regshield_auth` with `user:<id>`, so that each instance drops
 * that user from its in-memory auth state (src/auth/auth-state). Sent at commit, never for a rolled-back
 * change; identical payloads in one transaction arrive once.
 */
export class AuthStateNotifications1764000005400 implements MigrationInterface {
  name = 'AuthStateNotifications1764000005400';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`
      CREATE FUNCTION regshield_notify_user_change() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        PERFORM pg_notify('regshield_auth', 'user:' || OLD.id);
        RETURN NULL;
      END
      $$`);
    await queryRunner.query(`
      CREATE TRIGGER users_notify_auth_state AFTER UPDATE OR DELETE ON users
        FOR EACH ROW EXECUTE FUNCTION regshield_notify_user_change()`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP TRIGGER users_notify_auth_state ON users`);
    await queryRunner.query(`DROP FUNCTION regshield_notify_user_change()`);
  }
}
