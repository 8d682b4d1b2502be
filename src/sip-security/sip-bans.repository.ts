import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, EntityManager } from 'typeorm';
import { SipBan } from '../database/entities/sip-ban.entity';
import { countedResponseCodeSql } from './digest-challenge';

/** What the in-memory index keeps of an active ban. */
export interface IndexedBan {
  cidr: string;
  reason: string;
  expiresAt: Date | null;
}

export interface NewManualBan {
  cidr: string;
  reason: string;
  /** null: until lifted. */
  durationSeconds: number | null;
  createdBy: string;
}

export interface EngineSettings {
  maxRetry: number;
  findTimeSeconds: number;
  ipv6Prefix: number;
}

/** The highest event ids a look at the tables covers (bigint, kept as text). */
export interface EventWatermark {
  failed: string;
  knocks: string;
}

/** A source (its /32, or its IPv6 prefix) with at least SIP_BAN_MAX_RETRY counted events in the window. */
export interface Offender {
  unit: string;
  hits: number;
}

export interface NewAutomaticBan {
  unit: string;
  reason: string;
  durationSeconds: number;
}

export interface BanEligibility {
  allowlisted: boolean;
  banned: boolean;
  previousAutomaticBans: number;
}

/** One instance evaluates at a time (pg_try_advisory_xact_lock), so two never ban the same source twice. */
const ENGINE_LOCK_KEY = 0x5265_6753; // "RegS"

const BAN_COLUMNS = `id::text AS id, cidr::text AS cidr, reason, source, feed, created_by AS "createdBy", created_at AS "createdAt",
  expires_at AS "expiresAt", lifted_at AS "liftedAt", lifted_by AS "liftedBy"`;

/**
 * sip_bans, and the ban engine's reads of the event tables. All SQL, one style: the queries need cidr
 * operators (`>>=`, `&&`), the database's one definition of an active ban (`sip_active_bans()`, also
 * behind the proxy's `regshield_is_banned()`), and the engine's counting CTE, none of which TypeORM's
 * find options express. The engine's methods take its transaction's manager.
 */
@Injectable()
export class SipBansRepository {
  constructor(@InjectDataSource() private readonly dataSource: DataSource) {}

  /** Active bans, newest first. */
  async findActiveBans(): Promise<SipBan[]> {
    const rows: SipBan[] = await this.dataSource.query(
      `SELECT ${BAN_COLUMNS} FROM sip_active_bans() ORDER BY created_at DESC, id DESC`,
    );
    return rows.map((row) => Object.assign(new SipBan(), row));
  }

  /**
   * Only the columns a lookup needs, without entity hydration (most of a reload with tens of thousands of
   * bans). Of two bans on one CIDR the longest-lasting comes last, so it is the one the index keeps.
   */
  findActiveBansForIndex(): Promise<IndexedBan[]> {
    return this.dataSource.query(
      `SELECT cidr::text AS cidr, reason, expires_at AS "expiresAt" FROM sip_active_bans()
        ORDER BY expires_at ASC NULLS LAST`,
    );
  }

  async countActiveBans(): Promise<number> {
    const [{ count }] = await this.dataSource.query<
      Array<{
        count: number;
      }>
    >('SELECT count(*)::int AS count FROM sip_active_bans()');
    return count;
  }

  /**
   * Inside `tx` (the admin's audit row commits with it). The expiry is computed by the database's clock,
   * like created_at, so it can never precede it.
   */
  async insertManualBan(ban: NewManualBan, tx: EntityManager): Promise<SipBan> {
    const [row] = await tx.query<SipBan[]>(
      `INSERT INTO sip_bans (cidr, reason, source, created_by, expires_at)
       VALUES ($1, $2, 'manual', $3, now() + make_interval(secs => $4))
       RETURNING ${BAN_COLUMNS}`,
      [ban.cidr, ban.reason, ban.createdBy, ban.durationSeconds],
    );
    return Object.assign(new SipBan(), row);
  }

  /** Lifts the ban if it is active, inside `tx`; returns its CIDR, or undefined when there is no such active ban. */
  async liftActiveBan(id: string, liftedBy: string, tx: EntityManager): Promise<string | undefined> {
    const [rows] = await tx.query<[Array<{ cidr: string }>, number]>(
      `UPDATE sip_bans SET lifted_at = now(), lifted_by = $2
        WHERE id = $1 AND id IN (SELECT id FROM sip_active_bans())
        RETURNING cidr::text AS cidr`,
      [id, liftedBy],
    );
    return rows[0]?.cidr;
  }

  /**
   * Runs `work` in a transaction holding the engine's advisory lock; undefined when another instance
   * holds it (that instance is evaluating the same events).
   */
  inEngineTransaction<T>(work: (manager: EntityManager) => Promise<T>): Promise<T | undefined> {
    return this.dataSource.transaction(async (manager) => {
      const [{ locked }] = await manager.query<Array<{ locked: boolean }>>(
        'SELECT pg_try_advisory_xact_lock($1) AS locked',
        [ENGINE_LOCK_KEY],
      );
      if (!locked) return undefined;
      // The per-unit subqueries look expensive to the planner, which would JIT-compile them (~0.5 s)
      // for a query that runs in milliseconds.
      await manager.query('SET LOCAL jit = off');
      return work(manager);
    });
  }

  async findLatestEventIds(manager: EntityManager): Promise<EventWatermark> {
    const [watermark] = await manager.query<EventWatermark[]>(
      `SELECT COALESCE((SELECT max(id) FROM failed_registrations), 0)::text AS failed,
              COALESCE((SELECT max(id) FROM door_knock_attempts), 0)::text AS knocks`,
    );
    return watermark;
  }

  /**
   * The sources of the events with ids in (after, upTo] whose counted events in the window reach
   * maxRetry. A source's unit is its /32, or its IPv6 prefix (an IPv4-mapped address is its IPv4
   * address, as everywhere). Events before the unit's last automatic ban do not count again once that
   * ban is over or lifted.
   */
  countRecentEventsBySource(
    manager: EntityManager,
    after: EventWatermark,
    upTo: EventWatermark,
    settings: EngineSettings,
  ): Promise<Offender[]> {
    const counted = countedResponseCodeSql();
    const countedInRange = countedResponseCodeSql('f.response_code');
    return manager.query(
      `WITH fresh AS (
         SELECT regshield_unmap_ipv4(source_ip) AS source_ip FROM failed_registrations
          WHERE id > $1 AND id <= $2 AND created_at > now() - make_interval(secs => $5) AND ${counted}
         UNION
         SELECT regshield_unmap_ipv4(source_ip) FROM door_knock_attempts
          WHERE id > $3 AND id <= $4 AND created_at > now() - make_interval(secs => $5)
       ),
       units AS (
         SELECT unit FROM (
           SELECT DISTINCT network(set_masklen(source_ip, CASE family(source_ip) WHEN 4 THEN 32 ELSE $6 END)) AS unit
             FROM fresh
         ) candidates
         -- Allowlisted and already banned sources need no counting (a busy trunk would otherwise be
         -- counted again at every look).
         WHERE NOT EXISTS (SELECT 1 FROM sip_allowlist a WHERE a.cidr && candidates.unit)
           AND NOT EXISTS (SELECT 1 FROM sip_active_bans() b WHERE b.cidr >>= candidates.unit)
       ),
       windows AS (
         SELECT unit, GREATEST(
                  now() - make_interval(secs => $5),
                  (SELECT max(created_at) FROM sip_bans b WHERE b.cidr = units.unit AND b.source = 'auto')
                ) AS since
           FROM units
       )
       -- A range on the btree index (the bounds are constants per unit, which <<= alone is not), and
       -- counting stops at the limit: an attacker's millions of rows cost no more than five.
       SELECT unit::text AS unit, hits::int AS hits FROM (
         SELECT unit,
                (SELECT count(*) FROM (
                   SELECT 1 FROM failed_registrations f
                    WHERE f.source_ip BETWEEN host(network(windows.unit))::inet AND host(broadcast(windows.unit))::inet
                      AND f.source_ip <<= windows.unit AND f.created_at > windows.since AND ${countedInRange}
                    LIMIT $7) capped)
              + (SELECT count(*) FROM (
                   SELECT 1 FROM door_knock_attempts d
                    WHERE d.source_ip BETWEEN host(network(windows.unit))::inet AND host(broadcast(windows.unit))::inet
                      AND d.source_ip <<= windows.unit AND d.created_at > windows.since
                    LIMIT $7) capped) AS hits
           FROM windows
       ) counted
       WHERE hits >= $7`,
      [
        after.failed,
        upTo.failed,
        after.knocks,
        upTo.knocks,
        settings.findTimeSeconds,
        settings.ipv6Prefix,
        settings.maxRetry,
      ],
    );
  }

  /**
   * Each unit's eligibility in one query: a distributed attack brings hundreds of offenders in one look,
   * and a query per offender kept the engine's transaction (and every ban in it) open for seconds.
   */
  async findBanEligibilities(manager: EntityManager, units: string[]): Promise<Map<string, BanEligibility>> {
    const rows = await manager.query<Array<BanEligibility & { unit: string }>>(
      `SELECT u.unit::text AS unit,
              EXISTS (SELECT 1 FROM sip_allowlist WHERE cidr && u.unit) AS allowlisted,
              EXISTS (SELECT 1 FROM sip_active_bans() WHERE cidr >>= u.unit) AS banned,
              (SELECT count(*)::int FROM sip_bans WHERE cidr = u.unit AND source = 'auto') AS "previousAutomaticBans"
       FROM unnest($1::cidr[]) AS u(unit)`,
      [units],
    );
    return new Map(rows.map(({ unit, ...eligibility }) => [unit, eligibility]));
  }

  /** The engine's bans of one look, in one INSERT. */
  async insertAutomaticBans(manager: EntityManager, bans: NewAutomaticBan[]): Promise<SipBan[]> {
    if (bans.length === 0) return [];
    const rows = await manager.query<SipBan[]>(
      `INSERT INTO sip_bans (cidr, reason, source, expires_at)
       SELECT b.cidr, b.reason, 'auto', now() + make_interval(secs => b.seconds)
       FROM unnest($1::cidr[], $2::text[], $3::float8[]) AS b(cidr, reason, seconds)
       RETURNING ${BAN_COLUMNS}`,
      [bans.map((ban) => ban.unit), bans.map((ban) => ban.reason), bans.map((ban) => ban.durationSeconds)],
    );
    return rows.map((row) => Object.assign(new SipBan(), row));
  }
}
