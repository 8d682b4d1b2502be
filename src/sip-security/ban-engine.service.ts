import { Injectable, Logger, OnApplicationBootstrap, OnApplicationShutdown } from '@nestjs/common';
import { EntityManager } from 'typeorm';
import { AppConfig } from '../config/app-config';
import { InjectConfig } from '../config/config.module';
import { MetricsService } from '../metrics/metrics.service';
import { SipBan } from '../database/entities/sip-ban.entity';
import { BanIndexService } from './ban-index.service';
import { BanService } from './ban.service';
import { EventWatermark, Offender, SipBansRepository } from './sip-bans.repository';

/** How often new events are looked at. */
const ENGINE_INTERVAL_MS = 1000;

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
  /** The look in progress, if any: looks never overlap within an instance. */
  private running: Promise<unknown> = Promise.resolve();
  private busy = false;
  /** Until the first look, every event in the window is new (a restart misses nothing). */
  private watermark: EventWatermark = { failed: '0', knocks: '0' };

  constructor(
    private readonly repository: SipBansRepository,
    private readonly bans: BanService,
    private readonly index: BanIndexService,
    private readonly metrics: MetricsService,
    @InjectConfig() private readonly config: AppConfig,
  ) {}

  onApplicationBootstrap(): void {
    this.timer = setInterval(() => {
      if (this.busy) return;
      this.evaluate().catch((error: unknown) =>
        this.logger.warn(`evaluation failed: ${error instanceof Error ? error.message : String(error)}`),
      );
    }, ENGINE_INTERVAL_MS);
    this.timer.unref();
  }

  async onApplicationShutdown(): Promise<void> {
    clearInterval(this.timer);
    await this.running.catch(() => undefined);
  }

  /**
   * One look at the events added since the last one; returns the bans it created. A call made while a
   * look is in progress runs after it, so when it resolves every event committed before the call has
   * been evaluated (unless another instance holds the engine's lock). Tests drive the engine with it.
   */
  evaluate(): Promise<SipBan[]> {
    const look = this.running.catch(() => undefined).then(() => this.lookAtNewEvents());
    this.running = look;
    this.busy = true;
    const settled = () => {
      if (this.running === look) this.busy = false;
    };
    look.then(settled, settled);
    return look;
  }

  private async lookAtNewEvents(): Promise<SipBan[]> {
    // Every event committed before this moment is among those the look reads.
    const lookStartedAt = new Date();
    const created = await this.repository.inEngineTransaction(async (manager) => {
      const latest = await this.repository.findLatestEventIds(manager);
      const offenders = await this.repository.countRecentEventsBySource(
        manager,
        this.watermark,
        latest,
        this.config.sipBan,
      );
      this.watermark = latest;
      const bans: Array<{ ban: SipBan; hits: number }> = [];
      for (const offender of offenders) {
        const ban = await this.banIfEligible(manager, offender);
        if (ban) bans.push({ ban, hits: offender.hits });
      }
      return bans;
    });
    // undefined: another instance holds the engine's lock and evaluates this tick.
    if (created === undefined) return [];
    this.metrics.setBanEngineWatermark(lookStartedAt);
    if (created.length === 0) return [];
    this.bans.recordAutomaticBans(created);
    // One reload for the whole tick: a burst of new bans must not rebuild the index once per ban.
    await this.index.reload();
    return created.map(({ ban }) => ban);
  }

  private async banIfEligible(manager: EntityManager, { unit }: Offender): Promise<SipBan | undefined> {
    const { allowlisted, banned, previousAutomaticBans } = await this.repository.findBanEligibility(manager, unit);
    if (allowlisted || banned) return undefined;
    const { maxRetry, findTimeSeconds } = this.config.sipBan;
    const repeat = previousAutomaticBans > 0 ? `; ban #${previousAutomaticBans + 1}` : '';
    const reason = `at least ${maxRetry} failed registrations or door knocks within ${findTimeSeconds} s${repeat}`;
    return this.repository.insertAutomaticBan(
      manager,
      unit,
      reason,
      banDurationSeconds(this.config.sipBan, previousAutomaticBans),
    );
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
