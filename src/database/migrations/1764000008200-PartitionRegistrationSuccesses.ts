import { MigrationInterface, QueryRunner } from 'typeorm';
import { partitionEventTable, unpartitionEventTable } from './1764000007400-PartitionSipEvents';

/**
 * Partitions registration_successes by day on created_at, as PartitionSipEvents did failed_registrations and
 * door_knock_attempts (partitionEventTable: `registration_successes_pYYYYMMDD` for each day from the oldest row's,
 * at most 100 days back, to a week ahead, an `_archive` partition for older rows, a DEFAULT one; every row copied
 * and counted; the primary key (id, created_at); the secondary indexes, grants and the wake-up trigger of
 * WakeUpNotifications re-created on the new parent). Ids keep coming from registration_successes_id_seq, so
 * the account watch's sip_account_watch_state.last_registration_id still marks the same row, and every later
 * id is higher. The proxy's INSERTs, the ingest API and the stop-time queue's trigger name the parent, as before.
 *
 * Retention then drops its whole expired days (EventRetentionService), with the longer keep this table has
 * always had: at least SIP_ACCOUNT_HISTORY_DAYS and SIP_TRUST_TTL, which the account rules read.
 *
 * The rows are copied in this migration's transaction, the table held exclusively meanwhile (the proxy's
 * INSERTs wait); the table takes one row per account and new source, far fewer than the failure tables.
 */
export class PartitionRegistrationSuccesses1764000008200 implements MigrationInterface {
  name = 'PartitionRegistrationSuccesses1764000008200';

  async up(queryRunner: QueryRunner): Promise<void> {
    await partitionEventTable(queryRunner, 'registration_successes');
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await unpartitionEventTable(queryRunner, 'registration_successes');
  }
}
