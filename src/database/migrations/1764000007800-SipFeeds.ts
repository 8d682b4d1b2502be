import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Feeds (src/sip-feeds): outside ban lists pulled on an interval, whose entries become bans.
 *
 * `sip_feeds.next_pull_at` is the lease that makes several instances pull a feed once: an instance claims a
 * due feed by moving it forward in one `UPDATE … FOR UPDATE SKIP LOCKED`. `api_key` is stored as given, since
 * it is sent to the feed (APIBan's URL path, CrowdSec's X-Api-Key); the API never returns it.
 * `stream_cursor` is where a CrowdSec stream stands (null: the next pull asks for startup=true).
 *
 * `sip_feed_entries` is what the feed listed at its last pull, each with why it is not banned (allowlisted,
 * too wide) or null when it is. A feed's bans are `sip_bans` rows with source `feed`, its id and its name
 * (kept in the row, so the history still names a deleted feed).
 */
export class SipFeeds1764000007800 implements MigrationInterface {
  name = 'SipFeeds1764000007800';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`
      CREATE TABLE sip_feeds (
        id bigserial PRIMARY KEY,
        name text NOT NULL UNIQUE,
        url text NOT NULL,
        format text NOT NULL CHECK (format IN ('plain', 'apiban', 'crowdsec')),
        interval_seconds int NOT NULL CHECK (interval_seconds >= 60),
        api_key text,
        ban_duration_seconds int CHECK (ban_duration_seconds > 0),
        created_by uuid REFERENCES users (id) ON DELETE SET NULL,
        created_at timestamptz NOT NULL DEFAULT now(),
        next_pull_at timestamptz NOT NULL DEFAULT now(),
        last_attempt_at timestamptz,
        last_pulled_at timestamptz,
        last_error text,
        stream_cursor text,
        entries int NOT NULL DEFAULT 0,
        skipped_invalid int NOT NULL DEFAULT 0,
        truncated boolean NOT NULL DEFAULT false
      )`);
    await queryRunner.query(`CREATE INDEX sip_feeds_next_pull_at_idx ON sip_feeds (next_pull_at)`);
    await queryRunner.query(`
      CREATE TABLE sip_feed_entries (
        feed_id bigint NOT NULL REFERENCES sip_feeds (id) ON DELETE CASCADE,
        cidr cidr NOT NULL,
        skipped text CHECK (skipped IN ('allowlisted', 'too_wide')),
        PRIMARY KEY (feed_id, cidr)
      )`);
    await queryRunner.query(`ALTER TABLE sip_bans DROP CONSTRAINT sip_bans_source_check`);
    await queryRunner.query(`
      ALTER TABLE sip_bans
        ADD CONSTRAINT sip_bans_source_check CHECK (source IN ('auto', 'manual', 'feed')),
        ADD COLUMN feed_id bigint REFERENCES sip_feeds (id) ON DELETE SET NULL,
        ADD COLUMN feed text`);
    await queryRunner.query(
      `CREATE INDEX sip_bans_active_feed_idx ON sip_bans (feed_id, cidr) WHERE feed_id IS NOT NULL AND lifted_at IS NULL`,
    );
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DELETE FROM sip_bans WHERE source = 'feed'`);
    await queryRunner.query(`DROP INDEX sip_bans_active_feed_idx`);
    await queryRunner.query(`ALTER TABLE sip_bans DROP CONSTRAINT sip_bans_source_check`);
    await queryRunner.query(`
      ALTER TABLE sip_bans
        DROP COLUMN feed,
        DROP COLUMN feed_id,
        ADD CONSTRAINT sip_bans_source_check CHECK (source IN ('auto', 'manual'))`);
    await queryRunner.query(`DROP TABLE sip_feed_entries, sip_feeds`);
  }
}
