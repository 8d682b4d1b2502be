import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Indexes for the listings' filters, so that a filtered first page and its capped X-Total-Count stay an
 * index range scan on tables of ten million rows (docs/BENCHMARKS.md). Each ends in (created_at, id), the
 * listings' order, so the newest rows of one username, domain, response code or reason come straight off
 * the index. Filters by source already have (source_ip, created_at); time alone has (created_at, id).
 *
 * Built CONCURRENTLY, outside a transaction: a plain CREATE INDEX would block the proxy's INSERTs for as
 * long as the build takes on a large table. A concurrent build that fails leaves an invalid index behind,
 * which IF NOT EXISTS would then keep; dropping first makes a rerun of this migration rebuild it.
 */
export const SIP_EVENT_FILTER_INDEXES = [
  { name: 'failed_registrations_username_time_idx', on: 'failed_registrations (username, created_at, id)' },
  { name: 'failed_registrations_domain_time_idx', on: 'failed_registrations (domain, created_at, id)' },
  { name: 'failed_registrations_response_code_time_idx', on: 'failed_registrations (response_code, created_at, id)' },
  { name: 'door_knock_attempts_reason_time_idx', on: 'door_knock_attempts (reason, created_at, id)' },
  { name: 'door_knock_attempts_domain_time_idx', on: 'door_knock_attempts (domain, created_at, id)' },
] as const;

export class SipEventFilterIndexes1764000003500 implements MigrationInterface {
  name = 'SipEventFilterIndexes1764000003500';
  transaction = false;

  async up(queryRunner: QueryRunner): Promise<void> {
    for (const index of SIP_EVENT_FILTER_INDEXES) {
      await queryRunner.query(`DROP INDEX CONCURRENTLY IF EXISTS ${index.name}`);
      await queryRunner.query(`CREATE INDEX CONCURRENTLY ${index.name} ON ${index.on}`);
    }
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    for (const index of SIP_EVENT_FILTER_INDEXES) {
      await queryRunner.query(`DROP INDEX CONCURRENTLY IF EXISTS ${index.name}`);
    }
  }
}
