import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The live console's events about rows (src/live): a ban created or lifted, a sign-up entering or leaving the
 * pending queue, each sent on the `regshield_live` channel by a row trigger, so the notification commits with
 * the change (never one for a rolled-back change, never a change without one) whatever wrote it: the engine,
 * an admin, the CLI or plain SQL. Every instance LISTENs and forwards them to its open console streams.
 *
 * The payload is small JSON (NOTIFY allows ~8000 bytes): `{"event", "data"}`; a reason is cut to 500
 * characters. Bans come in bursts of a few hundred at most (the engine's tick), one notification each.
 */
export class LiveConsoleNotifications1764000007900 implements MigrationInterface {
  name = 'LiveConsoleNotifications1764000007900';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`
      CREATE FUNCTION regshield_notify_live_ban() RETURNS trigger
      LANGUAGE plpgsql AS $$
      BEGIN
        IF TG_OP = 'INSERT' AND NEW.lifted_at IS NULL THEN
          PERFORM pg_notify('regshield_live', json_build_object(
            'event', 'ban_created',
            'data', json_build_object(
              'id', NEW.id, 'cidr', NEW.cidr, 'reason', left(NEW.reason, 500), 'source', NEW.source,
              'created_at', NEW.created_at, 'expires_at', NEW.expires_at))::text);
        ELSIF TG_OP = 'UPDATE' AND OLD.lifted_at IS NULL AND NEW.lifted_at IS NOT NULL THEN
          PERFORM pg_notify('regshield_live', json_build_object(
            'event', 'ban_lifted',
            'data', json_build_object('id', NEW.id, 'cidr', NEW.cidr, 'lifted_at', NEW.lifted_at))::text);
        END IF;
        RETURN NULL;
      END
      $$`);
    await queryRunner.query(`
      CREATE TRIGGER sip_bans_live AFTER INSERT OR UPDATE OF lifted_at ON sip_bans
      FOR EACH ROW EXECUTE FUNCTION regshield_notify_live_ban()`);

    await queryRunner.query(`
      CREATE FUNCTION regshield_notify_live_signup() RETURNS trigger
      LANGUAGE plpgsql AS $$
      DECLARE
        was_pending boolean := TG_OP <> 'INSERT' AND OLD.status = 'pending';
        is_pending boolean := TG_OP <> 'DELETE' AND NEW.status = 'pending';
        subject users;
      BEGIN
        IF was_pending = is_pending THEN
          RETURN NULL;
        END IF;
        IF TG_OP = 'DELETE' THEN subject := OLD; ELSE subject := NEW; END IF;
        PERFORM pg_notify('regshield_live', json_build_object(
          'event', 'signup_pending',
          'data', json_build_object('user_id', subject.id, 'email', subject.email, 'pending', is_pending))::text);
        RETURN NULL;
      END
      $$`);
    await queryRunner.query(`
      CREATE TRIGGER users_signup_live AFTER INSERT OR UPDATE OF status OR DELETE ON users
      FOR EACH ROW EXECUTE FUNCTION regshield_notify_live_signup()`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP TRIGGER users_signup_live ON users`);
    await queryRunner.query(`DROP TRIGGER sip_bans_live ON sip_bans`);
    await queryRunner.query(`DROP FUNCTION regshield_notify_live_signup(), regshield_notify_live_ban()`);
  }
}
