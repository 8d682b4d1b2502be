import { MigrationInterface, QueryRunner } from 'typeorm';

/** The tables whose pollers sleep until told of new rows (src/database/insert-signals.ts). */
const ANNOUNCED_TABLES = [
  'failed_registrations',
  'door_knock_attempts',
  'registration_successes',
  'mail_outbox',
  'account_email_requests',
];

/**
 * Wake-ups for the background work that used to poll these tables at every tick, idle or not (each look a
 * transaction: ~9 a second per instance with nothing happening). Each table announces its new rows on
 * `regshield_inserts` (payload: the table), whatever wrote them: the proxy's plain SQL, the ingest API, the
 * proxy's stop-time queue (its trigger inserts into the parent tables), the outbox's and the e-mail link requests' callers.
 *
 * One notification per statement, not per row: the proxy writes its events in batches, and PostgreSQL folds
 * a transaction's identical notifications into one, so an attack adds one small NOTIFY per batch, not per
 * event. A statement trigger on a partitioned table fires for statements that name it (every writer does),
 * not for a partition named directly: the pollers' slow safety looks cover that.
 */
export class WakeUpNotifications1764000008000 implements MigrationInterface {
  name = 'WakeUpNotifications1764000008000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`
      CREATE FUNCTION regshield_notify_inserts() RETURNS trigger
      LANGUAGE plpgsql AS $$
      BEGIN
        PERFORM pg_notify('regshield_inserts', TG_TABLE_NAME);
        RETURN NULL;
      END
      $$`);
    for (const table of ANNOUNCED_TABLES) {
      await queryRunner.query(`
        CREATE TRIGGER ${table}_announce AFTER INSERT ON ${table}
        FOR EACH STATEMENT EXECUTE FUNCTION regshield_notify_inserts()`);
    }
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    for (const table of ANNOUNCED_TABLES) {
      await queryRunner.query(`DROP TRIGGER ${table}_announce ON ${table}`);
    }
    await queryRunner.query(`DROP FUNCTION regshield_notify_inserts()`);
  }
}
