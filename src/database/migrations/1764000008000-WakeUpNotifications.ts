import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Wake-ups for the background work that used to poll the tables several times a second, idle or not (each
 * look a transaction: ~20 a second per instance with nothing happening). The event tables and the account
 * watch's table announce new rows on `regshield_sip_events` (payload: the table), the outbox on
 * `regshield_mail`, whatever wrote them: the proxy's plain SQL, the ingest API, an admin, the queue's trigger.
 *
 * One notification per statement, not per row: the proxy writes its events in batches, and PostgreSQL folds
 * a transaction's identical notifications into one, so an attack adds one small NOTIFY per batch, not per
 * event. A statement trigger on a partitioned table fires for statements that name it (every writer does),
 * not for a partition named directly: the listeners' slow safety looks cover that.
 */
export class WakeUpNotifications1764000008000 implements MigrationInterface {
  name = 'WakeUpNotifications1764000008000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`
      CREATE FUNCTION regshield_notify_sip_events() RETURNS trigger
      LANGUAGE plpgsql AS $$
      BEGIN
        PERFORM pg_notify('regshield_sip_events', TG_TABLE_NAME);
        RETURN NULL;
      END
      $$`);
    for (const table of ['failed_registrations', 'door_knock_attempts', 'registration_successes']) {
      await queryRunner.query(`
        CREATE TRIGGER ${table}_wake AFTER INSERT ON ${table}
        FOR EACH STATEMENT EXECUTE FUNCTION regshield_notify_sip_events()`);
    }
    await queryRunner.query(`
      CREATE FUNCTION regshield_notify_mail() RETURNS trigger
      LANGUAGE plpgsql AS $$
      BEGIN
        PERFORM pg_notify('regshield_mail', '');
        RETURN NULL;
      END
      $$`);
    await queryRunner.query(`
      CREATE TRIGGER mail_outbox_wake AFTER INSERT ON mail_outbox
      FOR EACH STATEMENT EXECUTE FUNCTION regshield_notify_mail()`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP TRIGGER mail_outbox_wake ON mail_outbox`);
    for (const table of ['failed_registrations', 'door_knock_attempts', 'registration_successes']) {
      await queryRunner.query(`DROP TRIGGER ${table}_wake ON ${table}`);
    }
    await queryRunner.query(`DROP FUNCTION regshield_notify_mail(), regshield_notify_sip_events()`);
  }
}
