import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, EntityManager } from 'typeorm';
import { EntryVerdict, SkipReason } from './feed-merge';

export type FeedFormat = 'plain' | 'apiban' | 'crowdsec';

export interface Feed {
  id: string;
  name: string;
  url: string;
  format: FeedFormat;
  intervalSeconds: number;
  /** Sent to the feed, never returned by the API. */
  apiKey: string | null;
  banDurationSeconds: number | null;
  createdAt: Date;
  nextPullAt: Date;
  lastAttemptAt: Date | null;
  lastPulledAt: Date | null;
  lastError: string | null;
  streamCursor: string | null;
  entries: number;
  skippedInvalid: number;
  truncated: boolean;
}

/** A feed with what its entries became. */
export interface FeedState extends Feed {
  banned: number;
  skippedAllowlisted: number;
  skippedTooWide: number;
}

export interface NewFeed {
  name: string;
  url: string;
  format: FeedFormat;
  intervalSeconds: number;
  apiKey: string | null;
  banDurationSeconds: number | null;
  createdBy: string;
}

/** A successful pull, as stored. */
export interface FeedPullResult {
  verdicts: EntryVerdict[];
  invalid: number;
  truncated: boolean;
  streamCursor: string | null;
}

const FEED_COLUMNS = `f.id::text AS id, f.name, f.url, f.format, f.interval_seconds AS "intervalSeconds", f.api_key AS "apiKey",
  f.ban_duration_seconds AS "banDurationSeconds", f.created_at AS "createdAt", f.next_pull_at AS "nextPullAt",
  f.last_attempt_at AS "lastAttemptAt", f.last_pulled_at AS "lastPulledAt", f.last_error AS "lastError",
  f.stream_cursor AS "streamCursor", f.entries, f.skipped_invalid AS "skippedInvalid", f.truncated`;

const FEED_STATE_COLUMNS = `${FEED_COLUMNS},
  (SELECT count(*)::int FROM sip_active_bans() b WHERE b.feed_id = f.id) AS banned,
  (SELECT count(*)::int FROM sip_feed_entries e WHERE e.feed_id = f.id AND e.skipped = 'allowlisted') AS "skippedAllowlisted",
  (SELECT count(*)::int FROM sip_feed_entries e WHERE e.feed_id = f.id AND e.skipped = 'too_wide') AS "skippedTooWide"`;

/**
 * sip_feeds and sip_feed_entries, and the feeds' rows in sip_bans. SQL, as the other SIP repositories: the
 * lease needs `FOR UPDATE SKIP LOCKED`, the merge cidr arrays and the database's active-ban definition.
 */
@Injectable()
export class SipFeedsRepository {
  constructor(@InjectDataSource() private readonly dataSource: DataSource) {}

  findAllFeeds(): Promise<FeedState[]> {
    return this.dataSource.query(`SELECT ${FEED_STATE_COLUMNS} FROM sip_feeds f ORDER BY f.id`);
  }

  async findFeed(id: string): Promise<FeedState | undefined> {
    const rows: FeedState[] = await this.dataSource.query(
      `SELECT ${FEED_STATE_COLUMNS} FROM sip_feeds f WHERE f.id = $1`,
      [id],
    );
    return rows[0];
  }

  /** The entries that are not banned, and why, at most `limit` of them. */
  findSkippedEntries(feedId: string, limit: number): Promise<Array<{ cidr: string; skipped: SkipReason }>> {
    return this.dataSource.query(
      `SELECT cidr::text AS cidr, skipped FROM sip_feed_entries WHERE feed_id = $1 AND skipped IS NOT NULL
        ORDER BY cidr LIMIT $2`,
      [feedId, limit],
    );
  }

  /** Inside `tx` (the admin's audit row commits with it); undefined when the name is taken. */
  async insertFeed(feed: NewFeed, tx: EntityManager): Promise<FeedState | undefined> {
    const rows: FeedState[] = await tx.query(
      `WITH f AS (
         INSERT INTO sip_feeds (name, url, format, interval_seconds, api_key, ban_duration_seconds, created_by)
         VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT (name) DO NOTHING RETURNING *)
       SELECT ${FEED_COLUMNS}, 0 AS banned, 0 AS "skippedAllowlisted", 0 AS "skippedTooWide" FROM f`,
      [feed.name, feed.url, feed.format, feed.intervalSeconds, feed.apiKey, feed.banDurationSeconds, feed.createdBy],
    );
    return rows[0];
  }

  /**
   * Inside `tx`: lifts the feed's active bans (lifted_by the admin) and deletes the feed and its entries;
   * undefined when there is no such feed. The row lock waits for a pull of this feed that is being stored.
   */
  async deleteFeedLiftingBans(
    id: string,
    liftedBy: string,
    tx: EntityManager,
  ): Promise<{ name: string; lifted: number } | undefined> {
    const [feed] = await tx.query<Array<{ name: string }>>('SELECT name FROM sip_feeds WHERE id = $1 FOR UPDATE', [id]);
    if (feed === undefined) return undefined;
    const lifted = await this.liftBans(tx, id, undefined, liftedBy);
    await tx.query('DELETE FROM sip_feeds WHERE id = $1', [id]);
    return { name: feed.name, lifted: lifted.length };
  }

  /**
   * Claims one feed that is due, for this instance alone: its next_pull_at moves one interval on in the
   * same statement, so another instance (or this one's next tick) finds it not due. An instance that dies
   * mid-pull only delays the feed by one interval.
   */
  async claimDueFeed(): Promise<Feed | undefined> {
    const [rows] = await this.dataSource.query<[Feed[], number]>(
      `UPDATE sip_feeds f SET next_pull_at = now() + make_interval(secs => f.interval_seconds), last_attempt_at = now()
        WHERE f.id = (SELECT id FROM sip_feeds WHERE next_pull_at <= now() ORDER BY next_pull_at
                       LIMIT 1 FOR UPDATE SKIP LOCKED)
        RETURNING ${FEED_COLUMNS}`,
    );
    return rows[0];
  }

  async findEntryCidrs(feedId: string): Promise<string[]> {
    const rows: Array<{ cidr: string }> = await this.dataSource.query(
      'SELECT cidr::text AS cidr FROM sip_feed_entries WHERE feed_id = $1',
      [feedId],
    );
    return rows.map((row) => row.cidr);
  }

  /** The given CIDRs that overlap an allowlist entry (as the proxy's regshield_is_banned() reads it). */
  async findAllowlisted(cidrs: string[]): Promise<Set<string>> {
    const rows: Array<{ cidr: string }> = await this.dataSource.query(
      `SELECT c::text AS cidr FROM unnest($1::cidr[]) AS c
        WHERE EXISTS (SELECT 1 FROM sip_allowlist a WHERE a.cidr && c)`,
      [cidrs],
    );
    return new Set(rows.map((row) => row.cidr));
  }

  /**
   * Runs `work` in a transaction holding the feed's row lock; undefined when the feed was deleted
   * meanwhile (its pull is then dropped).
   */
  inFeedTransaction<T>(feedId: string, work: (tx: EntityManager) => Promise<T>): Promise<T | undefined> {
    return this.dataSource.transaction(async (tx) => {
      const rows: unknown[] = await tx.query('SELECT 1 FROM sip_feeds WHERE id = $1 FOR UPDATE', [feedId]);
      return rows.length === 0 ? undefined : work(tx);
    });
  }

  async findActiveBanCidrs(feedId: string, tx: EntityManager): Promise<string[]> {
    const rows: Array<{ cidr: string }> = await tx.query(
      'SELECT cidr::text AS cidr FROM sip_active_bans() WHERE feed_id = $1',
      [feedId],
    );
    return rows.map((row) => row.cidr);
  }

  /** Inside `tx`: the feed's bans on these CIDRs, lasting durationSeconds (null: until lifted). */
  async insertBans(
    tx: EntityManager,
    feed: { id: string; name: string; durationSeconds: number | null },
    cidrs: string[],
  ): Promise<number> {
    if (cidrs.length === 0) return 0;
    const rows: unknown[] = await tx.query(
      `INSERT INTO sip_bans (cidr, reason, source, feed_id, feed, expires_at)
       SELECT c, 'listed by feed ' || $2, 'feed', $1, $2, now() + make_interval(secs => $3)
         FROM unnest($4::cidr[]) AS c
       RETURNING id`,
      [feed.id, feed.name, feed.durationSeconds, cidrs],
    );
    return rows.length;
  }

  /**
   * Inside `tx`: lifts the feed's active bans on these CIDRs (all of them when `cidrs` is undefined). `IN
   * (SELECT unnest(…))` is a hashed semi-join; `= ANY (array)` would scan the array once per ban (a feed that
   * empties 100 000 entries: 10^10 comparisons).
   */
  async liftBans(tx: EntityManager, feedId: string, cidrs: string[] | undefined, liftedBy?: string): Promise<string[]> {
    if (cidrs?.length === 0) return [];
    const [rows] = await tx.query<[Array<{ cidr: string }>, number]>(
      `UPDATE sip_bans SET lifted_at = now(), lifted_by = $3
        WHERE id IN (SELECT id FROM sip_active_bans() WHERE feed_id = $1 AND ($2::cidr[] IS NULL OR cidr IN (SELECT unnest($2::cidr[]))))
        RETURNING cidr::text AS cidr`,
      [feedId, cidrs ?? null, liftedBy ?? null],
    );
    return rows.map((row) => row.cidr);
  }

  /**
   * Inside `tx`: moves the expiry of the feed's bans to durationSeconds from now once less than half of it
   * is left, so a listed entry stays banned without rewriting (and re-pushing) every ban at every pull.
   */
  async renewBans(tx: EntityManager, feedId: string, durationSeconds: number): Promise<void> {
    await tx.query(
      `UPDATE sip_bans SET expires_at = now() + make_interval(secs => $2)
        WHERE id IN (SELECT id FROM sip_active_bans() WHERE feed_id = $1
                      AND expires_at < now() + make_interval(secs => $2::float8 / 2))`,
      [feedId, durationSeconds],
    );
  }

  /** Inside `tx`: the feed's entries and state after a successful pull. */
  async storePull(tx: EntityManager, feedId: string, pull: FeedPullResult): Promise<void> {
    await tx.query('DELETE FROM sip_feed_entries WHERE feed_id = $1', [feedId]);
    await tx.query(
      `INSERT INTO sip_feed_entries (feed_id, cidr, skipped)
       SELECT $1, e.cidr, e.skipped FROM unnest($2::cidr[], $3::text[]) AS e(cidr, skipped)`,
      [feedId, pull.verdicts.map((verdict) => verdict.cidr), pull.verdicts.map((verdict) => verdict.skipped)],
    );
    await tx.query(
      `UPDATE sip_feeds SET last_pulled_at = now(), last_error = NULL, stream_cursor = $2, entries = $3,
              skipped_invalid = $4, truncated = $5
        WHERE id = $1`,
      [feedId, pull.streamCursor, pull.verdicts.length, pull.invalid, pull.truncated],
    );
  }

  /** A failed pull: the error is kept, and a decision stream starts over at the next pull. */
  async recordFailure(feedId: string, error: string): Promise<void> {
    await this.dataSource.query('UPDATE sip_feeds SET last_error = $2, stream_cursor = NULL WHERE id = $1', [
      feedId,
      error,
    ]);
  }

  /** Inside `tx`: the feed's entries lapse (a stale feed): its bans are lifted and its entries forgotten. */
  async lapseEntries(tx: EntityManager, feedId: string): Promise<number> {
    const lifted = await this.liftBans(tx, feedId, undefined);
    await tx.query('DELETE FROM sip_feed_entries WHERE feed_id = $1', [feedId]);
    await tx.query('UPDATE sip_feeds SET entries = 0, skipped_invalid = 0, truncated = false WHERE id = $1', [feedId]);
    return lifted.length;
  }
}
