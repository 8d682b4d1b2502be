import { Injectable, Logger, OnApplicationBootstrap, OnApplicationShutdown } from '@nestjs/common';
import { EntityManager } from 'typeorm';
import { AppConfig } from '../config/app-config';
import { InjectConfig } from '../config/config.module';
import { MetricsService } from '../metrics/metrics.service';
import { SipBan } from '../database/entities/sip-ban.entity';
import { BanIndexService } from './ban-index.service';
import { BanService } from './ban.service';
import { EventWatermark, NewAutomaticBan, Offender, SipBansRepository } from './sip-bans.repository';

/**
 * How often new events are looked at. A quarter of a second leaves room in the promise that a source is
 * cut off at the proxy within 1 s of the event that crosses the limit (look, commit, push); a look with
 * nothing new costs two index lookups.
 */
const ENGINE_INTERVAL_MS = 250;

/**
 * Lets another feature hold back the automatic ban of some offenders (src/sip-accounts: a trusted source is
 * banned only past SIP_TRUSTED_MAX_RETRY). Asked in the engine's transaction, before its bans are stored.
 */
export interface BanEngineExemptions {
  /** The units among these offenders not to ban in this look. */
  exempt(manager: EntityManager, offenders: Offender[]): Promise<ReadonlySet<string>>;
}

/**
 * Fail2Ban's rule over both event tables: a source (an IPv4 address, or an IPv6 source's
 * SIP_BAN_IPV6_PREFIX) with SIP_BAN_MAX_RETRY counted events within SIP_BAN_FIND_TIME is banned.
 *
 * It reads the tables, not the API's traffic, so it sees what the proxy inserted with plain SQL just as
 * well: every 250 ms it takes the sources of the rows added since the last look (an id watermark per
 * table) and counts their events in the window on the (source_ip, created_at) indexes. A trigger with
 * NOTIFY per row would put work on every insert, at attack rates; the watermark poll costs one indexed
 * query per look whatever the rate, and up to a look's interval of delay.
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
  private readonly exemptions: BanEngineExemptions[] = [];

  constructor(
    private readonly repository: SipBansRepository,
    private readonly bans: BanService,
    private readonly index: BanIndexService,
    private readonly metrics: MetricsService,
    @InjectConfig() private readonly config: AppConfig,
  ) {}

  /** Adds a rule that may hold back bans; to be called before the application bootstraps (onModuleInit). */
  addExemptions(exemptions: BanEngineExemptions): void {
    this.exemptions.push(exemptions);
  }

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
      return this.banEligible(manager, offenders);
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

  private async banEligible(
    manager: EntityManager,
    offenders: Offender[],
  ): Promise<Array<{ ban: SipBan; hits: number }>> {
    if (offenders.length === 0) return [];
    const exempt = new Set<string>();
    for (const exemptions of this.exemptions) {
      for (const unit of await exemptions.exempt(manager, offenders)) exempt.add(unit);
    }
    const eligibility = await this.repository.findBanEligibilities(
      manager,
      offenders.map(({ unit }) => unit),
    );
    const { maxRetry, findTimeSeconds } = this.config.sipBan;
    const hitsByUnit = new Map<string, number>();
    const bans: NewAutomaticBan[] = [];
    for (const { unit, hits } of offenders) {
      const found = eligibility.get(unit);
      if (!found || found.allowlisted || found.banned || exempt.has(unit)) continue;
      const { previousAutomaticBans } = found;
      const repeat = previousAutomaticBans > 0 ? `; ban #${previousAutomaticBans + 1}` : '';
      const reason = `at least ${maxRetry} failed registrations or door knocks within ${findTimeSeconds} s${repeat}`;
      hitsByUnit.set(unit, hits);
      bans.push({ unit, reason, durationSeconds: banDurationSeconds(this.config.sipBan, previousAutomaticBans) });
    }
    const created = await this.repository.insertAutomaticBans(manager, bans);
    return created.map((ban) => ({ ban, hits: hitsByUnit.get(ban.cidr) ?? 0 }));
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
