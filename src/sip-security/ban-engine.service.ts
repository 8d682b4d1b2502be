import { Injectable, Logger, OnApplicationBootstrap, OnApplicationShutdown } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, EntityManager } from 'typeorm';
import { AppConfig } from '../config/app-config';
import { InjectConfig } from '../config/config.module';
import { SipBan } from '../database/entities/sip-ban.entity';
import { ACTIVE, BanService } from './ban.service';

/** How often new events are looked at. */
const ENGINE_INTERVAL_MS = 1000;
/** One instance evaluates at a time (pg_try_advisory_xact_lock), so two never ban the same source twice. */
const ENGINE_LOCK_KEY = 0x5265_6753; // "RegS"
/** 401 and 407 are digest challenges: never counted, even when the proxy stored them. */
const NOT_A_CHALLENGE = 'COALESCE(response_code, 0) NOT IN (401, 407)';

interface Offender {
  unit: string;
  hits: number;
}

/**
 * Fail2Ban's rule over both event tables: a source (an IPv4 address, or an IPv6 source's
 * SIP_BAN_IPV6_PREFIX) with SIP_BAN_MAX_RETRY counted events within SIP_BAN_FIND_TIME is banned.
 *
 * It reads the tables, not the API's traffic, so it sees what the proxy inserted with plain SQL just as
 * well: every second it takes the sources of the rows added since the last look (an id watermark per
 * table) and counts their events in the window on the (source_ip, created_at) indexes. A trigger with
 * NOTIFY per row would put work on every insert, at attack rates; the watermark poll costs one indexed
 * query a second whatever the rate, and a second of delay.
 */
@Injectable()
export class BanEngineService implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger(BanEngineService.name);
  private timer?: NodeJS.Timeout;
  private running?: Promise<void>;
  /** Until the first look, every event in the window is new (a restart misses nothing). */
  private watermark = { failed: '0', knocks: '0' };

  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly bans: BanService,
    @InjectConfig() private readonly config: AppConfig,
  ) {}

  onApplicationBootstrap(): void {
    this.timer = setInterval(() => {
      if (!this.running) {
        this.running = this.evaluate()
          .then(() => undefined)
          .catch((error: unknown) => this.logger.warn(`evaluation failed: ${error instanceof Error ? error.message : error}`))
          .finally(() => (this.running = undefined));
      }
    }, ENGINE_INTERVAL_MS);
    this.timer.unref();
  }

  async onApplicationShutdown(): Promise<void> {
    clearInterval(this.timer);
    await this.running;
  }

  /** One look at the new events; returns the bans it created. */
  async evaluate(): Promise<SipBan[]> {
    const created: Array<{ ban: SipBan; hits: number }> = await this.dataSource.transaction(async (manager) => {
      const [{ locked }] = await manager.query('SELECT pg_try_advisory_xact_lock($1) AS locked', [ENGINE_LOCK_KEY]);
      if (!locked) return [];
      // The per-unit subqueries look expensive to the planner, which would JIT-compile them (~0.5 s)
      // for a query that runs in milliseconds.
      await manager.query('SET LOCAL jit = off');
      const [{ failed, knocks }] = await manager.query(
        `SELECT COALESCE((SELECT max(id) FROM failed_registrations), 0)::text AS failed,
                COALESCE((SELECT max(id) FROM door_knock_attempts), 0)::text AS knocks`,
      );
      const offenders = await this.offendersAmongNewSources(manager, failed, knocks);
      this.watermark = { failed, knocks };
      const bans: Array<{ ban: SipBan; hits: number }> = [];
      for (const offender of offenders) {
        const ban = await this.banIfEligible(manager, offender);
        if (ban) bans.push({ ban, hits: offender.hits });
      }
      return bans;
    });
    if (created.length > 0) {
      this.bans.recordAutomaticBans(created);
      // One reload for the whole tick: a burst of new bans must not rebuild the index once per ban.
      await this.bans.reload();
    }
    return created.map(({ ban }) => ban);
  }

  private offendersAmongNewSources(manager: EntityManager, failedUpTo: string, knocksUpTo: string): Promise<Offender[]> {
    const { maxRetry, findTimeSeconds, ipv6Prefix } = this.config.sipBan;
    // A source's unit: its /32, or its IPv6 prefix. Events before the unit's last automatic ban do not
    // count again once that ban is over or lifted.
    return manager.query(
      `WITH fresh AS (
         SELECT source_ip FROM failed_registrations
          WHERE id > $1 AND id <= $2 AND created_at > now() - make_interval(secs => $5) AND ${NOT_A_CHALLENGE}
         UNION
         SELECT source_ip FROM door_knock_attempts
          WHERE id > $3 AND id <= $4 AND created_at > now() - make_interval(secs => $5)
       ),
       units AS (
         SELECT unit FROM (
           SELECT DISTINCT network(set_masklen(source_ip, CASE family(source_ip) WHEN 4 THEN 32 ELSE $6 END)) AS unit
             FROM fresh
         ) candidates
         -- Allowlisted and already banned sources need no counting (a busy trunk would otherwise be
         -- counted again every second).
         WHERE NOT EXISTS (SELECT 1 FROM sip_allowlist a WHERE a.cidr && candidates.unit)
           AND NOT EXISTS (SELECT 1 FROM sip_bans b WHERE b.cidr >>= candidates.unit AND ${ACTIVE})
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
                      AND f.source_ip <<= windows.unit AND f.created_at > windows.since AND ${NOT_A_CHALLENGE}
                    LIMIT $7) capped)
              + (SELECT count(*) FROM (
                   SELECT 1 FROM door_knock_attempts d
                    WHERE d.source_ip BETWEEN host(network(windows.unit))::inet AND host(broadcast(windows.unit))::inet
                      AND d.source_ip <<= windows.unit AND d.created_at > windows.since
                    LIMIT $7) capped) AS hits
           FROM windows
       ) counted
       WHERE hits >= $7`,
      [this.watermark.failed, failedUpTo, this.watermark.knocks, knocksUpTo, findTimeSeconds, ipv6Prefix, maxRetry],
    );
  }

  private async banIfEligible(manager: EntityManager, { unit, hits }: Offender): Promise<SipBan | undefined> {
    const [{ allowlisted, banned, previous }] = await manager.query(
      `SELECT EXISTS (SELECT 1 FROM sip_allowlist WHERE cidr && $1::cidr) AS allowlisted,
              EXISTS (SELECT 1 FROM sip_bans WHERE cidr >>= $1::cidr AND ${ACTIVE}) AS banned,
              (SELECT count(*)::int FROM sip_bans WHERE cidr = $1::cidr AND source = 'auto') AS previous`,
      [unit],
    );
    if (allowlisted || banned) return undefined;
    const seconds = banDurationSeconds(this.config.sipBan, previous);
    const { maxRetry, findTimeSeconds } = this.config.sipBan;
    const [ban] = await manager.query(
      `INSERT INTO sip_bans (cidr, reason, source, expires_at)
       VALUES ($1, $2, 'auto', now() + make_interval(secs => $3))
       RETURNING id, cidr::text AS cidr, reason, source, created_at, expires_at`,
      [unit, `at least ${maxRetry} failed registrations or door knocks within ${findTimeSeconds} s${previous ? `; ban #${previous + 1}` : ''}`, seconds],
    );
    return Object.assign(new SipBan(), {
      id: String(ban.id),
      cidr: ban.cidr,
      reason: ban.reason,
      source: 'auto',
      createdAt: ban.created_at,
      expiresAt: ban.expires_at,
      liftedAt: null,
    });
  }
}

/** Fail2Ban's bantime.increment: ×factor per earlier ban of the same source, capped at the max time. */
export function banDurationSeconds(
  settings: { banTimeSeconds: number; timeFactor: number; maxTimeSeconds: number },
  previousBans: number,
): number {
  const grown = settings.banTimeSeconds * Math.pow(settings.timeFactor, previousBans);
  return Math.min(settings.maxTimeSeconds, Math.round(grown));
}
