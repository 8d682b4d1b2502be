import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The stored audit trail: every security-log event as a row (src/audit), with an index per filter of
 * GET /api/admin/audit, each ending in the newest-first order it pages in. `actor_id` and `target_id` have
 * no foreign key: the trail outlives the users it names. And users.last_login_at, kept at each login.
 */
export class AuditEventsAndLastLogin1764000004100 implements MigrationInterface {
  name = 'AuditEventsAndLastLogin1764000004100';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`
      CREATE TABLE audit_events (
        id bigserial PRIMARY KEY,
        time timestamptz NOT NULL,
        event text NOT NULL,
        ip inet,
        actor_id uuid,
        target_id uuid,
        details jsonb NOT NULL DEFAULT '{}'
      )`);
    await queryRunner.query(`CREATE INDEX audit_events_time_idx ON audit_events (time DESC, id DESC)`);
    await queryRunner.query(`CREATE INDEX audit_events_event_idx ON audit_events (event, time DESC, id DESC)`);
    await queryRunner.query(
      `CREATE INDEX audit_events_actor_idx ON audit_events (actor_id, time DESC, id DESC) WHERE actor_id IS NOT NULL`,
    );
    await queryRunner.query(
      `CREATE INDEX audit_events_target_idx ON audit_events (target_id, time DESC, id DESC) WHERE target_id IS NOT NULL`,
    );
    await queryRunner.query(
      `CREATE INDEX audit_events_ip_idx ON audit_events (ip, time DESC, id DESC) WHERE ip IS NOT NULL`,
    );
    await queryRunner.query(`ALTER TABLE users ADD COLUMN last_login_at timestamptz`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER TABLE users DROP COLUMN last_login_at`);
    await queryRunner.query(`DROP TABLE audit_events`);
  }
}
