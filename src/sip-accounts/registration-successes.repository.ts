import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, EntityManager } from 'typeorm';
import { findSettledIdHorizons } from '../database/settled-id-horizons';
import { countedResponseCodeSql } from '../sip-security/digest-challenge';
import { RegistrationSuccessEvent } from '../sip-security/event-schemas';
import { SourceRegistration } from '../sip-security/sip-sources.service';

/** One account watch evaluates at a time across instances (pg_try_advisory_xact_lock). */
const ACCOUNT_WATCH_LOCK_KEY = 0x5265_6741; // "ReGA"

/** A registration success with what the account rules ask of its source and account. */
export interface RegistrationFacts {
  id: string;
  username: string;
  domain: string;
  sourceIp: string;
  userAgent: string | null;
  createdAt: Date;
  /** The source's ban unit: its address, or its SIP_BAN_IPV6_PREFIX. */
  unit: string;
  /** Counted failed registrations of this account from the unit within SIP_BAN_FIND_TIME before the success. */
  failedForAccount: number;
  /** Distinct usernames the unit failed to register within SIP_BAN_FIND_TIME before the success. */
  usernamesTried: number;
  /** A ban of the source in force at some moment of SIP_BAN_FIND_TIME before the success (feeds' bans included). */
  banId: string | null;
  banReason: string | null;
  allowlisted: boolean;
  /** The unit registered this account within SIP_TRUST_TTL before, and has no compromise alert. */
  trusted: boolean;
  /** The account's earlier successes within SIP_ACCOUNT_HISTORY_DAYS. */
  historyCount: number;
  /** One of them came from the success's network (/24, /48). */
  networkKnown: boolean;
  /** Their distinct source addresses (at most HISTORY_SOURCES), for the country rule. */
  historySources: string[];
}

export interface WatchSettings {
  findTimeSeconds: number;
  ipv6Prefix: number;
  trustTtlSeconds: number;
  historyDays: number;
  batch: number;
}

/** The ids and times of the watch's next batch, and how far back its rules read from its oldest success. */
interface BatchSpan {
  lastId: string | null;
  oldest: string;
  newest: string;
  failuresFrom: string;
  trustFrom: string;
  historyFrom: string;
}

/** Enough of an account's past addresses to know its countries; the network rule needs none of them. */
const HISTORY_SOURCES = 200;

/**
 * registration_successes: the ingest route's inserts, and the account watch's reads (in its transaction).
 * The table is partitioned by day like the other event tables; EventRetentionService drops its expired days.
 * SQL for the cidr operators and the per-row subqueries of the rules, which find options do not express.
 */
@Injectable()
export class RegistrationSuccessesRepository {
  constructor(@InjectDataSource() private readonly dataSource: DataSource) {}

  async insertSuccesses(events: RegistrationSuccessEvent[]): Promise<void> {
    if (events.length === 0) return;
    await this.dataSource.query(
      `INSERT INTO registration_successes (username, domain, source_ip, source_port, user_agent)
       SELECT * FROM unnest($1::text[], $2::text[], $3::inet[], $4::int[], $5::text[])`,
      [
        events.map((event) => event.username),
        events.map((event) => event.domain.toLowerCase()),
        events.map((event) => event.source_ip),
        events.map((event) => event.source_port ?? null),
        events.map((event) => event.user_agent ?? null),
      ],
    );
  }

  /** The accounts registered from this address (canonical form; also found stored IPv4-mapped), latest first. */
  findAccountsRegisteredFrom(ip: string, limit: number): Promise<SourceRegistration[]> {
    return this.dataSource.query(
      `SELECT username, domain, count(*)::int AS registrations, max(created_at) AS "lastRegisteredAt"
         FROM registration_successes
        WHERE source_ip = $1::inet OR (family($1::inet) = 4 AND source_ip = ('::ffff:' || host($1::inet))::inet)
        GROUP BY username, domain
        ORDER BY max(created_at) DESC
        LIMIT $2`,
      [ip, limit],
    );
  }

  /** False when another instance holds the watch's lock (it evaluates the same rows). */
  async tryLockWatch(tx: EntityManager): Promise<boolean> {
    const [{ locked }] = await tx.query<Array<{ locked: boolean }>>('SELECT pg_try_advisory_xact_lock($1) AS locked', [
      ACCOUNT_WATCH_LOCK_KEY,
    ]);
    if (locked) await tx.query('SET LOCAL jit = off');
    return locked;
  }

  /**
   * The highest id below which no success can still appear (findSettledIdHorizons). Undefined when a writer's
   * transaction kept the table past the lock timeout.
   */
  async findSettledHorizon(): Promise<string | undefined> {
    return (await findSettledIdHorizons(this.dataSource, ['registration_successes']))?.registration_successes;
  }

  /** The id of the last success the watch evaluated (under the watch's lock). */
  async findWatchedUpTo(tx: EntityManager): Promise<string> {
    const [{ id }] = await tx.query<Array<{ id: string }>>(
      'SELECT last_registration_id::text AS id FROM sip_account_watch_state',
    );
    return id;
  }

  async saveWatchedUpTo(id: string, tx: EntityManager): Promise<void> {
    await tx.query('UPDATE sip_account_watch_state SET last_registration_id = $1', [id]);
  }

  /**
   * The successes after `afterId` up to `horizon` (findSettledHorizon), oldest first, each with the facts the
   * account rules need.
   */
  async findSuccessesWithFacts(
    tx: EntityManager,
    afterId: string,
    horizon: string,
    settings: WatchSettings,
  ): Promise<RegistrationFacts[]> {
    // Without a bound on created_at each look planned every daily partition, for the batch and each of the
    // rules' reads: measured with 110 days of partitions, ~37 ms of planning and ~8 ms of execution for a look
    // at one new success, against ~2 ms and ~1 ms with 8. The batch is therefore taken first, by id as before
    // and in one statement (one snapshot, as the single query took it), and its own time span then bounds the
    // reads below with constants the planner prunes on. Never a bound guessed from the watermark: created_at
    // is the event's time (Kamailio's clock, its queue replayed after an outage), so a later id may be an
    // older day. The windows' starts are computed here (timestamptz - interval is only stable, which the
    // planner does not prune on), and every bound travels as text: a JavaScript Date would drop the
    // microseconds, and with them a row on the boundary.
    const [span] = await tx.query<BatchSpan[]>(
      `SELECT max(id)::text AS "lastId", min(created_at)::text AS oldest, max(created_at)::text AS newest,
              (min(created_at) - make_interval(secs => $3))::text AS "failuresFrom",
              (min(created_at) - make_interval(secs => $4))::text AS "trustFrom",
              (min(created_at) - make_interval(days => $5))::text AS "historyFrom"
         FROM (SELECT id, created_at FROM registration_successes WHERE id > $1 AND id <= $6 ORDER BY id LIMIT $2) batch`,
      [afterId, settings.batch, settings.findTimeSeconds, settings.trustTtlSeconds, settings.historyDays, horizon],
    );
    if (span.lastId === null) return [];
    const counted = countedResponseCodeSql('f.response_code');
    return tx.query(
      `WITH fresh AS (
         SELECT r.*, regshield_unmap_ipv4(r.source_ip) AS source,
                network(set_masklen(regshield_unmap_ipv4(r.source_ip),
                  CASE family(regshield_unmap_ipv4(r.source_ip)) WHEN 4 THEN 32 ELSE $3 END)) AS unit,
                network(set_masklen(regshield_unmap_ipv4(r.source_ip),
                  CASE family(regshield_unmap_ipv4(r.source_ip)) WHEN 4 THEN 24 ELSE 48 END)) AS net
           FROM registration_successes r
          WHERE r.id > $1 AND r.id <= $7 AND r.created_at BETWEEN $8::timestamptz AND $9::timestamptz
          ORDER BY r.id
          LIMIT $6
       )
       SELECT r.id::text AS id, r.username, r.domain, host(r.source) AS "sourceIp", r.user_agent AS "userAgent",
              r.created_at AS "createdAt", r.unit::text AS unit,
              (SELECT count(*)::int FROM failed_registrations f
                WHERE f.source_ip BETWEEN host(network(r.unit))::inet AND host(broadcast(r.unit))::inet
                  AND f.source_ip <<= r.unit AND f.username = r.username AND lower(f.domain) = lower(r.domain)
                  AND f.created_at > r.created_at - make_interval(secs => $2) AND f.created_at <= r.created_at
                  AND f.created_at > $10::timestamptz AND f.created_at <= $9::timestamptz
                  AND ${counted}) AS "failedForAccount",
              (SELECT count(DISTINCT f.username)::int FROM failed_registrations f
                WHERE f.source_ip BETWEEN host(network(r.unit))::inet AND host(broadcast(r.unit))::inet
                  AND f.source_ip <<= r.unit
                  AND f.created_at > r.created_at - make_interval(secs => $2) AND f.created_at <= r.created_at
                  AND f.created_at > $10::timestamptz AND f.created_at <= $9::timestamptz
                  AND ${counted}) AS "usernamesTried",
              ban.id AS "banId", ban.reason AS "banReason",
              EXISTS (SELECT 1 FROM sip_allowlist a WHERE a.cidr >>= r.source) AS allowlisted,
              (EXISTS (SELECT 1 FROM registration_successes p
                        WHERE p.username = r.username AND p.domain = r.domain AND p.id < r.id
                          AND p.created_at > r.created_at - make_interval(secs => $4) AND p.created_at > $11::timestamptz
                          AND regshield_unmap_ipv4(p.source_ip) <<= r.unit)
               AND NOT EXISTS (SELECT 1 FROM sip_account_alerts c
                                WHERE c.kind = 'credential_compromise' AND c.source_ip <<= r.unit)) AS trusted,
              (SELECT count(*)::int FROM registration_successes h
                WHERE h.username = r.username AND h.domain = r.domain AND h.id < r.id
                  AND h.created_at > r.created_at - make_interval(days => $5) AND h.created_at > $12::timestamptz) AS "historyCount",
              EXISTS (SELECT 1 FROM registration_successes h
                       WHERE h.username = r.username AND h.domain = r.domain AND h.id < r.id
                         AND h.created_at > r.created_at - make_interval(days => $5) AND h.created_at > $12::timestamptz
                         AND regshield_unmap_ipv4(h.source_ip) <<= r.net) AS "networkKnown",
              ARRAY(SELECT DISTINCT host(h.source_ip) FROM registration_successes h
                     WHERE h.username = r.username AND h.domain = r.domain AND h.id < r.id
                       AND h.created_at > r.created_at - make_interval(days => $5) AND h.created_at > $12::timestamptz
                     LIMIT ${HISTORY_SOURCES}) AS "historySources"
         FROM fresh r
         LEFT JOIN LATERAL (
           SELECT b.id::text AS id, b.reason FROM sip_bans b
            WHERE b.cidr >>= r.source AND b.created_at <= r.created_at
              AND COALESCE(b.lifted_at, b.expires_at, 'infinity') > r.created_at - make_interval(secs => $2)
            ORDER BY b.created_at DESC LIMIT 1
         ) ban ON true
        ORDER BY r.id`,
      [
        afterId,
        settings.findTimeSeconds,
        settings.ipv6Prefix,
        settings.trustTtlSeconds,
        settings.historyDays,
        settings.batch,
        span.lastId,
        span.oldest,
        span.newest,
        span.failuresFrom,
        span.trustFrom,
        span.historyFrom,
      ],
    );
  }
}
