import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Trigram indexes (pg_trgm) for the admins' user search, `GET /api/admin/users?q=`: a case-insensitive
 * "contains" (`ILIKE '%text%'`) on the e-mail or the full name, which no B-tree can serve. Measured on
 * 100,000 users: about 200 to 400 ms a search (two sequential scans, the page and its count) without
 * them, about 3 ms with them (docs/API.md).
 *
 * pg_trgm ships with PostgreSQL (contrib, the embedded server included) and is a trusted extension, so a
 * database owner that is not a superuser may create it. Where it cannot (no CREATE right on the database,
 * a server without contrib), the search still works, by sequential scan: this migration then says so and
 * skips the indexes rather than stopping the service's start.
 *
 * Built CONCURRENTLY, outside a transaction, so that sign-ups and logins are not blocked while a large users
 * table is indexed; dropping first makes a rerun rebuild an index a failed concurrent build left invalid.
 */
export const USER_SEARCH_INDEXES = [
  { name: 'users_email_trgm_idx', on: 'users USING gin (email gin_trgm_ops)' },
  { name: 'users_full_name_trgm_idx', on: 'users USING gin (full_name gin_trgm_ops)' },
] as const;

export class UserSearchIndexes1764000005300 implements MigrationInterface {
  name = 'UserSearchIndexes1764000005300';
  transaction = false;

  async up(queryRunner: QueryRunner): Promise<void> {
    try {
      await queryRunner.query(`CREATE EXTENSION IF NOT EXISTS pg_trgm`);
    } catch (error) {
      queryRunner.connection.logger.logMigration(
        `pg_trgm is not available (${error instanceof Error ? error.message : String(error)}): ` +
          'the admin user search works without its indexes, by sequential scan',
      );
      return;
    }
    for (const index of USER_SEARCH_INDEXES) {
      await queryRunner.query(`DROP INDEX CONCURRENTLY IF EXISTS ${index.name}`);
      await queryRunner.query(`CREATE INDEX CONCURRENTLY ${index.name} ON ${index.on}`);
    }
  }

  /** The extension stays: other objects of the database may have come to use it. */
  async down(queryRunner: QueryRunner): Promise<void> {
    for (const index of USER_SEARCH_INDEXES) {
      await queryRunner.query(`DROP INDEX CONCURRENTLY IF EXISTS ${index.name}`);
    }
  }
}
