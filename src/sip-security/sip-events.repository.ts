import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, EntityManager } from 'typeorm';
import { cappedTotal, countLimit, Page } from '../common/total-count';
import { DoorKnockAttempt } from '../database/entities/door-knock-attempt.entity';
import { FailedRegistration } from '../database/entities/failed-registration.entity';
import { quoteIdentifier } from './event-partitions.repository';
import { DoorKnockEvent, FailedRegistrationEvent } from './event-schemas';
import { EVIDENCE_EVENT_LIMIT, EVIDENCE_LIST_LIMIT, uriUserSql } from './sip-bans.repository';
import { prepared } from '../database/prepared-statements';

/** Filters common to both listings; `sourceIp` is already in canonical form. */
export interface EventFilter {
  sourceIp?: string;
  domain?: string;
  since?: Date;
  until?: Date;
  skip: number;
  limit: number;
}

export interface FailedRegistrationFilter extends EventFilter {
  username?: string;
  responseCode?: number;
}

export interface DoorKnockFilter extends EventFilter {
  reason?: string;
}

export interface EventTotals {
  failedRegistrations: number;
  doorKnocks: number;
}

export interface CountByResponseCode {
  responseCode: number | null;
  count: number;
}

export interface CountByReason {
  reason: string | null;
  count: number;
}

export interface SourceActivity {
  sourceIp: string;
  failedRegistrations: number;
  doorKnocks: number;
  total: number;
}

/** Everything stored of one source address: exact counts and times; usernames and agents from its latest events. */
export interface SourceHistory {
  failedRegistrations: number;
  knocksByReason: CountByReason[];
  firstSeenAt: Date | null;
  lastSeenAt: Date | null;
  distinctUsernames: number;
  usernames: string[];
  userAgents: string[];
}

export type TimelineBucket = 'hour' | 'day';

/** One bucket of the timeline: events and bans created in `[start, start + 1 bucket)`. */
export interface TimelineCounts {
  start: Date;
  failedRegistrations: number;
  doorKnocks: number;
  bans: number;
}

export type EventTable = 'failed_registrations' | 'door_knock_attempts' | 'registration_successes';

/**
 * Every event table the proxy writes: each is partitioned by day (migrations PartitionSipEvents,
 * PartitionRegistrationSuccesses), and retention and partition upkeep go through this list.
 * registration_successes is read and written by src/sip-accounts; retention keeps it longer (EventRetentionService).
 */
export const EVENT_TABLES: readonly EventTable[] = [
  'failed_registrations',
  'door_knock_attempts',
  'registration_successes',
];

/** The columns of a listing, named as the entities' properties. */
const FAILED_REGISTRATION_COLUMNS = `id::text AS id, username, domain, source_ip AS "sourceIp", source_port AS "sourcePort",
  user_agent AS "userAgent", response_code AS "responseCode", response_reason AS "responseReason", expires,
  created_at AS "createdAt"`;
const DOOR_KNOCK_COLUMNS = `id::text AS id, source_ip AS "sourceIp", source_port AS "sourcePort", method,
  request_uri AS "requestUri", from_uri AS "fromUri", to_uri AS "toUri", domain, reason, user_agent AS "userAgent",
  created_at AS "createdAt"`;

/**
 * The last row a retention pass deleted in a table, in (created_at, id) order. created_at stays text so that
 * its microseconds survive the round trip (a JavaScript Date keeps milliseconds).
 */
export interface RetentionCursor {
  createdAt: string;
  id: string;
}

/** How long a table keeps its rows: `days`, or `seconds` when that is longer. */
export interface RetentionKeep {
  days: number;
  seconds: number;
}

/** Before every row. */
export const RETENTION_START: RetentionCursor = { createdAt: '-infinity', id: '0' };

/** One retention pass at a time across instances: a session-level advisory lock, held for the whole pass. */
export const RETENTION_LOCK_KEY = 0x5265_6752; // "RegR"

/**
 * The two event tables the proxy shares with us. All SQL, one style: one `INSERT … SELECT FROM unnest(arrays)`
 * stores a batch of any size in one round trip and one statement (all or nothing); the listings' capped
 * counts need a LIMIT inside a subquery and the retention deletes a keyset-bounded batch, which TypeORM's
 * find options do not express; and the aggregates have no entity to map to.
 */
@Injectable()
export class SipEventsRepository {
  constructor(@InjectDataSource() private readonly dataSource: DataSource) {}

  /** `events` hold canonical source addresses; digest challenges must already be filtered out. */
  async insertFailedRegistrations(events: FailedRegistrationEvent[]): Promise<void> {
    if (events.length === 0) return;
    await this.dataSource.query(
      prepared(`INSERT INTO failed_registrations
         (username, domain, source_ip, source_port, user_agent, response_code, response_reason, expires)
       SELECT * FROM unnest($1::text[], $2::text[], $3::inet[], $4::int[], $5::text[], $6::int[], $7::text[], $8::int[])`),
      [
        events.map((e) => e.username ?? null),
        events.map((e) => e.domain ?? null),
        events.map((e) => e.source_ip),
        events.map((e) => e.source_port ?? null),
        events.map((e) => e.user_agent ?? null),
        events.map((e) => e.response_code),
        events.map((e) => e.response_reason ?? null),
        events.map((e) => e.expires ?? null),
      ],
    );
  }

  /** `events` hold canonical source addresses. */
  async insertDoorKnocks(events: DoorKnockEvent[]): Promise<void> {
    if (events.length === 0) return;
    await this.dataSource.query(
      prepared(`INSERT INTO door_knock_attempts
         (source_ip, source_port, method, request_uri, from_uri, to_uri, domain, reason, user_agent)
       SELECT * FROM unnest($1::inet[], $2::int[], $3::text[], $4::text[], $5::text[], $6::text[], $7::text[], $8::text[], $9::text[])`),
      [
        events.map((e) => e.source_ip),
        events.map((e) => e.source_port ?? null),
        events.map((e) => e.method ?? null),
        events.map((e) => e.request_uri ?? null),
        events.map((e) => e.from_uri ?? null),
        events.map((e) => e.to_uri ?? null),
        events.map((e) => e.domain ?? null),
        events.map((e) => e.reason ?? null),
        events.map((e) => e.user_agent ?? null),
      ],
    );
  }

  async findFailedRegistrations(filter: FailedRegistrationFilter): Promise<Page<FailedRegistration>> {
    const where = eventConditions(filter);
    if (filter.username !== undefined) where.push(['username', '=', filter.username]);
    if (filter.responseCode !== undefined) where.push(['response_code', '=', filter.responseCode]);
    const { items, ...total } = await this.findPage('failed_registrations', FAILED_REGISTRATION_COLUMNS, where, filter);
    return { items: items.map((row) => Object.assign(new FailedRegistration(), row)), ...total };
  }

  async findDoorKnocks(filter: DoorKnockFilter): Promise<Page<DoorKnockAttempt>> {
    const where = eventConditions(filter);
    if (filter.reason !== undefined) where.push(['reason', '=', filter.reason]);
    const { items, ...total } = await this.findPage('door_knock_attempts', DOOR_KNOCK_COLUMNS, where, filter);
    return { items: items.map((row) => Object.assign(new DoorKnockAttempt(), row)), ...total };
  }

  /**
   * A page, newest first, and its capped count (src/common/total-count.ts), over one WHERE clause built from
   * fixed column names and bound values. SQL because the capped count is a LIMIT inside a subquery, which
   * find options cannot express, and the page and its count must filter alike.
   */
  private async findPage(
    table: EventTable,
    columns: string,
    conditions: Condition[],
    paging: { skip: number; limit: number },
  ): Promise<Page<Record<string, unknown>>> {
    const values = conditions.map(([, , value]) => value);
    const predicates = conditions.map(([column, operator], i) => `${column} ${operator} $${i + 1}`);
    const where = predicates.length === 0 ? '' : `WHERE ${predicates.join(' AND ')}`;
    const next = values.length + 1;
    const [items, [{ counted }]] = await Promise.all([
      this.dataSource.query<Array<Record<string, unknown>>>(
        `SELECT ${columns} FROM ${table} ${where} ORDER BY created_at DESC, id DESC LIMIT $${next} OFFSET $${next + 1}`,
        [...values, paging.limit, paging.skip],
      ),
      this.dataSource.query<Array<{ counted: number }>>(
        `SELECT count(*)::int AS counted FROM (SELECT 1 FROM ${table} ${where} LIMIT $${next}) matching`,
        [...values, countLimit(paging.skip) + 1],
      ),
    ]);
    return { items, ...cappedTotal(counted, paging.skip) };
  }

  /**
   * Runs `work` on one connection holding the retention lock, each of its statements its own short
   * transaction; undefined when another instance holds the lock (it is doing the same work).
   */
  async withRetentionLock<T>(work: (session: EntityManager) => Promise<T>): Promise<T | undefined> {
    const runner = this.dataSource.createQueryRunner();
    await runner.connect();
    try {
      const [{ locked }] = (await runner.query('SELECT pg_try_advisory_lock($1) AS locked', [
        RETENTION_LOCK_KEY,
      ])) as Array<{ locked: boolean }>;
      if (!locked) return undefined;
      try {
        return await work(runner.manager);
      } finally {
        await runner.query('SELECT pg_advisory_unlock($1)', [RETENTION_LOCK_KEY]);
      }
    } finally {
      await runner.release();
    }
  }

  /**
   * The database's clock, as created_at is: rows created before the returned time (text) are expired. A row
   * is kept `keep.days` days, and at least `keep.seconds` seconds when that is longer.
   */
  async findRetentionCutoff(session: EntityManager, keep: RetentionKeep): Promise<string> {
    const [{ cutoff }] = await session.query<Array<{ cutoff: string }>>(
      `SELECT (now() - greatest(make_interval(days => $1), make_interval(secs => $2)))::text AS cutoff`,
      [keep.days, keep.seconds],
    );
    return cutoff;
  }

  /**
   * Deletes up to `batchSize` rows created before `cutoff`, oldest first, after `from`, from one partition of
   * an event table (a name from the catalog); returns how many and the last one, where the next batch starts.
   * The keyset bound on the (created_at, id) index makes each batch start past the index entries of the rows
   * already deleted, which stay until VACUUM: without it, each batch would step over every earlier batch's
   * dead entries again. One partition, not the parent: a ctid is only unique within one table.
   */
  async deleteExpiredEvents(
    session: EntityManager,
    partition: string,
    cutoff: string,
    from: RetentionCursor,
    batchSize: number,
  ): Promise<{ deleted: number; last?: RetentionCursor }> {
    const table = quoteIdentifier(partition);
    const rows = await session.query<Array<{ deleted: number } & RetentionCursor>>(
      // By ctid, the row's physical address, read in the same statement: a TID scan, where a join on id
      // could be planned as a scan of the whole table.
      `WITH doomed AS (
         SELECT ctid, id, created_at FROM ${table}
          WHERE created_at < $1::timestamptz AND (created_at, id) > ($2::timestamptz, $3::bigint)
          ORDER BY created_at, id
          LIMIT $4
       ),
       deleted AS (DELETE FROM ${table} WHERE ctid = ANY (ARRAY(SELECT ctid FROM doomed)) RETURNING 1)
       SELECT (SELECT count(*) FROM deleted)::int AS deleted, last.created_at::text AS "createdAt", last.id::text AS id
         FROM (SELECT created_at, id FROM doomed ORDER BY created_at DESC, id DESC LIMIT 1) last`,
      [cutoff, from.createdAt, from.id, batchSize],
    );
    if (rows.length === 0) return { deleted: 0 };
    const [{ deleted, createdAt, id }] = rows;
    return { deleted, last: { createdAt, id } };
  }

  async countEventsSince(since: Date): Promise<EventTotals> {
    const [totals] = await this.dataSource.query<EventTotals[]>(
      `SELECT (SELECT count(*) FROM failed_registrations WHERE created_at >= $1)::int AS "failedRegistrations",
              (SELECT count(*) FROM door_knock_attempts WHERE created_at >= $1)::int AS "doorKnocks"`,
      [since],
    );
    return totals;
  }

  countFailedRegistrationsByResponseCode(since: Date): Promise<CountByResponseCode[]> {
    return this.dataSource.query(
      `SELECT response_code AS "responseCode", count(*)::int AS count FROM failed_registrations
        WHERE created_at >= $1 GROUP BY response_code ORDER BY count DESC, response_code`,
      [since],
    );
  }

  countDoorKnocksByReason(since: Date): Promise<CountByReason[]> {
    return this.dataSource.query(
      `SELECT reason, count(*)::int AS count FROM door_knock_attempts
        WHERE created_at >= $1 GROUP BY reason ORDER BY count DESC, reason`,
      [since],
    );
  }

  findTopSources(since: Date, limit: number): Promise<SourceActivity[]> {
    return this.dataSource.query(
      `SELECT host(source_ip) AS "sourceIp", sum(failed)::int AS "failedRegistrations", sum(knocks)::int AS "doorKnocks",
              sum(failed + knocks)::int AS total
         FROM (SELECT source_ip, 1 AS failed, 0 AS knocks FROM failed_registrations WHERE created_at >= $1
               UNION ALL
               SELECT source_ip, 0, 1 FROM door_knock_attempts WHERE created_at >= $1) events
        GROUP BY source_ip ORDER BY total DESC, source_ip LIMIT $2`,
      [since, limit],
    );
  }
  /**
   * One address's events (canonical form, as stored): exact counts on the (source_ip, created_at) index; the
   * usernames (a door knock's: its To URI's user) and user agents of its latest EVIDENCE_EVENT_LIMIT events of
   * each table, most frequent first, so a source with millions of rows costs no more than that.
   */
  async summarizeSource(sourceIp: string): Promise<SourceHistory> {
    const [history] = await this.dataSource.query<SourceHistory[]>(
      `WITH sampled AS (
         (SELECT username, user_agent FROM failed_registrations WHERE source_ip = $1 ORDER BY created_at DESC LIMIT $2)
         UNION ALL
         (SELECT ${uriUserSql('to_uri')}, user_agent FROM door_knock_attempts WHERE source_ip = $1
           ORDER BY created_at DESC LIMIT $2)
       ),
       usernames AS (SELECT username AS value, count(*) AS n FROM sampled WHERE username IS NOT NULL GROUP BY 1),
       agents AS (SELECT user_agent AS value, count(*) AS n FROM sampled WHERE user_agent IS NOT NULL GROUP BY 1)
       SELECT (SELECT count(*)::int FROM failed_registrations WHERE source_ip = $1) AS "failedRegistrations",
              coalesce((SELECT json_agg(r ORDER BY r.count DESC, r.reason) FROM (
                 SELECT reason, count(*)::int AS count FROM door_knock_attempts WHERE source_ip = $1 GROUP BY reason
              ) r), '[]') AS "knocksByReason",
              (SELECT min(t) FROM (SELECT min(created_at) AS t FROM failed_registrations WHERE source_ip = $1
                                   UNION ALL SELECT min(created_at) FROM door_knock_attempts WHERE source_ip = $1) m)
                AS "firstSeenAt",
              (SELECT max(t) FROM (SELECT max(created_at) AS t FROM failed_registrations WHERE source_ip = $1
                                   UNION ALL SELECT max(created_at) FROM door_knock_attempts WHERE source_ip = $1) m)
                AS "lastSeenAt",
              (SELECT count(*)::int FROM usernames) AS "distinctUsernames",
              ARRAY(SELECT value FROM usernames ORDER BY n DESC, value LIMIT $3) AS usernames,
              ARRAY(SELECT value FROM agents ORDER BY n DESC, value LIMIT $3) AS "userAgents"`,
      [sourceIp, EVIDENCE_EVENT_LIMIT, EVIDENCE_LIST_LIMIT],
    );
    return history;
  }

  /**
   * Counts per UTC hour or day of `[since, until)`, oldest first, every bucket of the window included (zeros
   * for the quiet ones): the series comes from generate_series, the counts join onto it. The first and last
   * buckets count only what falls inside the window.
   */
  countTimeline(since: Date, until: Date, bucket: TimelineBucket): Promise<TimelineCounts[]> {
    return this.dataSource.query(
      `WITH buckets AS (
         SELECT generate_series(date_trunc($3::text, $1::timestamptz, 'UTC'), $2::timestamptz - interval '1 microsecond',
                                make_interval(hours => CASE $3 WHEN 'hour' THEN 1 ELSE 24 END)) AS start
       ),
       failed AS (
         SELECT date_trunc($3, created_at, 'UTC') AS start, count(*)::int AS n FROM failed_registrations
          WHERE created_at >= $1 AND created_at < $2 GROUP BY 1
       ),
       knocks AS (
         SELECT date_trunc($3, created_at, 'UTC') AS start, count(*)::int AS n FROM door_knock_attempts
          WHERE created_at >= $1 AND created_at < $2 GROUP BY 1
       ),
       bans AS (
         SELECT date_trunc($3, created_at, 'UTC') AS start, count(*)::int AS n FROM sip_bans
          WHERE created_at >= $1 AND created_at < $2 GROUP BY 1
       )
       SELECT buckets.start, coalesce(failed.n, 0) AS "failedRegistrations", coalesce(knocks.n, 0) AS "doorKnocks",
              coalesce(bans.n, 0) AS bans
         FROM buckets
         LEFT JOIN failed USING (start) LEFT JOIN knocks USING (start) LEFT JOIN bans USING (start)
        ORDER BY buckets.start`,
      [since, until, bucket],
    );
  }
}

/** A condition of a listing: a fixed column name, an operator, and the value bound to it. */
type Condition = [column: string, operator: '=' | '>=' | '<', value: unknown];

/** The filters both listings share; only those given become conditions. */
function eventConditions(filter: EventFilter): Condition[] {
  const conditions: Condition[] = [];
  if (filter.sourceIp !== undefined) conditions.push(['source_ip', '=', filter.sourceIp]);
  if (filter.domain !== undefined) conditions.push(['domain', '=', filter.domain]);
  if (filter.since !== undefined) conditions.push(['created_at', '>=', filter.since]);
  if (filter.until !== undefined) conditions.push(['created_at', '<', filter.until]);
  return conditions;
}
