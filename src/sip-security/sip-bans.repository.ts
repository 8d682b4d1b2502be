import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, EntityManager } from 'typeorm';
import { Page } from '../common/total-count';
import { BanEvidence, SipBan } from '../database/entities/sip-ban.entity';
import { findSettledIdHorizons } from '../database/settled-id-horizons';
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
  evidence: BanEvidence;
}

/** A fresh event for a decoy username: its source's unit and the username (lower case). */
export interface DecoyTouch {
  unit: string;
  username: string;
}

/** What a unit's counted events since its window's start show: BanEvidence without the rule. */
export type UnitActivity = Omit<BanEvidence, 'rule' | 'decoyUsername' | 'maxRetry' | 'findTimeSeconds'>;

/** A ban's state now: in force, lifted by an admin, or past its expiry. */
export type BanState = 'active' | 'lifted' | 'expired';
export const BAN_LISTING_STATES = ['active', 'lifted', 'expired', 'all'] as const;
export type BanListingState = (typeof BAN_LISTING_STATES)[number];

export interface BanListing {
  state: BanListingState;
  skip: number;
  /** undefined: every ban of that state. */
  limit?: number;
}

/** The most events of each table the engine reads for one ban's evidence, and the most usernames and agents kept. */
export const EVIDENCE_EVENT_LIMIT = 10_000;
export const EVIDENCE_LIST_LIMIT = 50;

export interface BanEligibility {
  allowlisted: boolean;
  banned: boolean;
  previousAutomaticBans: number;
}

/** One instance evaluates at a time (pg_try_advisory_xact_lock), so two never ban the same source twice. */
const ENGINE_LOCK_KEY = 0x5265_6753; // "RegS"

const BAN_COLUMNS = `id::text AS id, cidr::text AS cidr, reason, source, feed, created_by AS "createdBy", created_at AS "createdAt",
  expires_at AS "expiresAt", lifted_at AS "liftedAt", lifted_by AS "liftedBy"`;

/** The states as conditions on sip_bans; `active` is sip_active_bans()'s definition. */
const BAN_STATE_CONDITIONS: Record<BanListingState, string> = {
  active: 'lifted_at IS NULL AND (expires_at IS NULL OR expires_at > now())',
  lifted: 'lifted_at IS NOT NULL',
  expired: 'lifted_at IS NULL AND expires_at <= now()',
  all: 'true',
};

/** A unit (the /32, or the IPv6 prefix $N) of an event's source address, as the engine bans it. */
const sourceUnitSql = (column: string, ipv6PrefixParam: string) =>
  `network(set_masklen(regshield_unmap_ipv4(${column}), CASE family(regshield_unmap_ipv4(${column})) WHEN 4 THEN 32 ELSE ${ipv6PrefixParam} END))`;

/** The user part of a SIP URI column (`sip:admin@host;…` → `admin`); null when it has none. */
export const uriUserSql = (column: string) => `substring(${column} from '^[^:]*sips?:([^@;?>:]+)@')`;

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

  /** Bans of one state (or all), newest first, with the exact number of them. */
  async findBans(listing: BanListing): Promise<Page<SipBan>> {
    const where = BAN_STATE_CONDITIONS[listing.state];
    const [rows, [{ total }]] = await Promise.all([
      this.dataSource.query<SipBan[]>(
        `SELECT ${BAN_COLUMNS} FROM sip_bans WHERE ${where} ORDER BY created_at DESC, id DESC LIMIT $1 OFFSET $2`,
        [listing.limit ?? null, listing.skip],
      ),
      this.dataSource.query<Array<{ total: number }>>(`SELECT count(*)::int AS total FROM sip_bans WHERE ${where}`),
    ]);
    return { items: rows.map((row) => Object.assign(new SipBan(), row)), total };
  }

  /** One ban, whatever its state, with its evidence. */
  async findBanById(id: string): Promise<SipBan | undefined> {
    const [row] = await this.dataSource.query<SipBan[]>(`SELECT ${BAN_COLUMNS}, evidence FROM sip_bans WHERE id = $1`, [
      id,
    ]);
    return row === undefined ? undefined : Object.assign(new SipBan(), row);
  }

  /** Every ban that covers `address` (canonical), active or not, newest first: a source's ban history. */
  async findBansCovering(address: string): Promise<SipBan[]> {
    const rows = await this.dataSource.query<SipBan[]>(
      `SELECT ${BAN_COLUMNS} FROM sip_bans WHERE cidr >>= $1::inet ORDER BY created_at DESC, id DESC`,
      [address],
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

  /**
   * Per event table, the highest id below which no event can still appear (findSettledIdHorizons), for the
   * engine's look to read up to: an event committed after a later-numbered one was read is still looked at (a
   * late decoy touch still bans). Undefined when a writer's transaction kept a table past the lock timeout.
   */
  async findSettledEventHorizons(): Promise<EventWatermark | undefined> {
    const horizons = await findSettledIdHorizons(this.dataSource, ['failed_registrations', 'door_knock_attempts']);
    return horizons && { failed: horizons.failed_registrations, knocks: horizons.door_knock_attempts };
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
       -- MATERIALIZED, here and below: inlined, the planner tested \`hits >= $7\` before these two filters and
       -- computed each unit's counts (and its window's start for each of them) twice, four lookups of
       -- sip_bans per unit: 0.15-0.25 s for the hundreds of units of a distributed attack's look.
       units AS MATERIALIZED (
         SELECT unit FROM (
           SELECT DISTINCT network(set_masklen(source_ip, CASE family(source_ip) WHEN 4 THEN 32 ELSE $6 END)) AS unit
             FROM fresh
         ) candidates
         -- Allowlisted and already banned sources need no counting (a busy trunk would otherwise be
         -- counted again at every look).
         WHERE NOT EXISTS (SELECT 1 FROM sip_allowlist a WHERE a.cidr && candidates.unit)
           AND NOT EXISTS (SELECT 1 FROM sip_active_bans() b WHERE b.cidr >>= candidates.unit)
       ),
       windows AS MATERIALIZED (
         SELECT unit, GREATEST(
                  now() - make_interval(secs => $5),
                  (SELECT max(created_at) FROM sip_bans b WHERE b.cidr = units.unit AND b.source = 'auto')
                ) AS since
           FROM units
       ),
       -- A range on the btree index (the bounds are constants per unit, which <<= alone is not), and
       -- counting stops at the limit: an attacker's millions of rows cost no more than five.
       counted AS MATERIALIZED (
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
       )
       SELECT unit::text AS unit, hits::int AS hits FROM counted WHERE hits >= $7`,
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
   * The units of the events with ids in (after, upTo], within the window, that touched a decoy username: a
   * failed registration for one, a door knock the proxy marked `decoy`, or a door knock whose To, Request or
   * From URI names one (a proxy that reports through the API without knowing the list). The first touch
   * per unit since its last automatic ban, in id order.
   */
  findDecoyTouches(
    manager: EntityManager,
    after: EventWatermark,
    upTo: EventWatermark,
    settings: EngineSettings,
    decoys: string[],
  ): Promise<DecoyTouch[]> {
    const counted = countedResponseCodeSql();
    const toUser = `lower(${uriUserSql('to_uri')})`;
    const requestUser = `lower(${uriUserSql('request_uri')})`;
    const fromUser = `lower(${uriUserSql('from_uri')})`;
    return manager.query(
      `SELECT DISTINCT ON (unit) unit::text AS unit, username FROM (
         SELECT ${sourceUnitSql('source_ip', '$6')} AS unit, lower(username) AS username, created_at, 0 AS tbl, id
           FROM failed_registrations
          WHERE id > $1 AND id <= $2 AND created_at > now() - make_interval(secs => $5) AND ${counted}
            AND lower(username) = ANY ($7::text[])
         UNION ALL
         SELECT ${sourceUnitSql('source_ip', '$6')},
                CASE WHEN ${toUser} = ANY ($7::text[]) THEN ${toUser}
                     WHEN ${requestUser} = ANY ($7::text[]) THEN ${requestUser}
                     WHEN ${fromUser} = ANY ($7::text[]) THEN ${fromUser}
                     -- A 'decoy' knock naming no listed name (the list changed since): the To user, bounded.
                     ELSE left(coalesce(${toUser}, ${requestUser}, ${fromUser}, ''), 64) END,
                created_at, 1, id
           FROM door_knock_attempts
          WHERE id > $3 AND id <= $4 AND created_at > now() - make_interval(secs => $5)
            AND (reason = 'decoy' OR ${toUser} = ANY ($7::text[]) OR ${requestUser} = ANY ($7::text[])
                 OR ${fromUser} = ANY ($7::text[]))
       ) touches
       -- As the count does: a touch before the unit's last automatic ban does not ban again once that ban is
       -- lifted (an instance whose watermark lags, or restarted, reads it as new).
       WHERE created_at > coalesce(
               (SELECT max(b.created_at) FROM sip_bans b WHERE b.cidr = touches.unit AND b.source = 'auto'),
               '-infinity')
       ORDER BY unit, tbl, id`,
      [after.failed, upTo.failed, after.knocks, upTo.knocks, settings.findTimeSeconds, settings.ipv6Prefix, decoys],
    );
  }

  /**
   * What each unit's counted events since its window's start (or its last automatic ban, as the engine
   * counts) show, for the evidence of its ban: the latest EVIDENCE_EVENT_LIMIT of each table at most, so an
   * attacker's millions of rows cost no more than that. A door knock's username is its To URI's user.
   */
  async summarizeUnitActivity(
    manager: EntityManager,
    units: string[],
    findTimeSeconds: number,
  ): Promise<Map<string, UnitActivity>> {
    const countedInRange = countedResponseCodeSql('f.response_code');
    const inUnit = (alias: string) =>
      `${alias}.source_ip BETWEEN host(network(windows.unit))::inet AND host(broadcast(windows.unit))::inet
         AND ${alias}.source_ip <<= windows.unit AND ${alias}.created_at > windows.since`;
    const rows = await manager.query<
      Array<
        Omit<UnitActivity, 'firstEventAt' | 'lastEventAt'> & { unit: string; firstEventAt: Date; lastEventAt: Date }
      >
    >(
      `WITH windows AS MATERIALIZED (
         -- materialized: inlined, each unit's window start was looked up in sip_bans once per event table
         SELECT u.unit, GREATEST(
                  now() - make_interval(secs => $2),
                  (SELECT max(created_at) FROM sip_bans b WHERE b.cidr = u.unit AND b.source = 'auto')
                ) AS since
           FROM unnest($1::cidr[]) AS u(unit)
       ),
       events AS (
         SELECT windows.unit, e.* FROM windows CROSS JOIN LATERAL (
           (SELECT 'failed_registration'::text AS kind, f.username, f.user_agent, f.created_at
              FROM failed_registrations f WHERE ${inUnit('f')} AND ${countedInRange}
             ORDER BY f.created_at DESC LIMIT $3)
           UNION ALL
           (SELECT coalesce(d.reason, 'door_knock'), ${uriUserSql('d.to_uri')}, d.user_agent, d.created_at
              FROM door_knock_attempts d WHERE ${inUnit('d')}
             ORDER BY d.created_at DESC LIMIT $3)
         ) e
       ),
       totals AS (
         SELECT unit, min(created_at) AS first_at, max(created_at) AS last_at,
                count(*) FILTER (WHERE kind = 'failed_registration')::int AS failed,
                count(*) FILTER (WHERE kind <> 'failed_registration')::int AS knocks
           FROM events GROUP BY unit
       ),
       kinds AS (
         SELECT unit, jsonb_object_agg(kind, n) AS counts
           FROM (SELECT unit, kind, count(*)::int AS n FROM events GROUP BY unit, kind) per_kind GROUP BY unit
       ),
       usernames AS (
         SELECT unit, count(*)::int AS distinct_count, (array_agg(value ORDER BY n DESC, value))[1:$4::int] AS top
           FROM (SELECT unit, username AS value, count(*) AS n FROM events WHERE username IS NOT NULL GROUP BY 1, 2) u
          GROUP BY unit
       ),
       agents AS (
         SELECT unit, (array_agg(value ORDER BY n DESC, value))[1:$4::int] AS top
           FROM (SELECT unit, user_agent AS value, count(*) AS n FROM events WHERE user_agent IS NOT NULL GROUP BY 1, 2) a
          GROUP BY unit
       )
       -- one join per list, not a subquery per unit: a look with a thousand units stays linear
       SELECT totals.unit::text AS unit, first_at AS "firstEventAt", last_at AS "lastEventAt",
              failed AS "failedRegistrations", knocks AS "doorKnocks",
              (failed >= $3 OR knocks >= $3) AS truncated,
              kinds.counts,
              coalesce(usernames.distinct_count, 0) AS "distinctUsernames",
              coalesce(usernames.top, '{}'::text[]) AS usernames,
              coalesce(agents.top, '{}'::text[]) AS "userAgents"
         FROM totals
         JOIN kinds ON kinds.unit = totals.unit
         LEFT JOIN usernames ON usernames.unit = totals.unit
         LEFT JOIN agents ON agents.unit = totals.unit`,
      [units, findTimeSeconds, EVIDENCE_EVENT_LIMIT, EVIDENCE_LIST_LIMIT],
    );
    return new Map(
      rows.map(({ unit, firstEventAt, lastEventAt, ...activity }) => [
        unit,
        { ...activity, firstEventAt: firstEventAt.toISOString(), lastEventAt: lastEventAt.toISOString() },
      ]),
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
      `INSERT INTO sip_bans (cidr, reason, source, expires_at, evidence)
       SELECT b.cidr, b.reason, 'auto', now() + make_interval(secs => b.seconds), b.evidence::jsonb
       FROM unnest($1::cidr[], $2::text[], $3::float8[], $4::text[]) AS b(cidr, reason, seconds, evidence)
       RETURNING ${BAN_COLUMNS}, evidence`,
      [
        bans.map((ban) => ban.unit),
        bans.map((ban) => ban.reason),
        bans.map((ban) => ban.durationSeconds),
        bans.map((ban) => JSON.stringify(ban.evidence)),
      ],
    );
    return rows.map((row) => Object.assign(new SipBan(), row));
  }
}
