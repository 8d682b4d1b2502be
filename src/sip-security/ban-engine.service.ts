import { Injectable, Logger, OnApplicationBootstrap, OnApplicationShutdown } from '@nestjs/common';
import { EntityManager } from 'typeorm';
import { AppConfig } from '../config/app-config';
import { InjectConfig } from '../config/config.module';
import { InsertSignals, WakeUps } from '../database/insert-signals';
import { MetricsService } from '../metrics/metrics.service';
import { SipBan } from '../database/entities/sip-ban.entity';
import { BanIndexService } from './ban-index.service';
import { automaticBanEvidence, automaticBanReason } from './ban-reason';
import { BanService } from './ban.service';
import { DecoyTouch, EventWatermark, NewAutomaticBan, Offender, SipBansRepository } from './sip-bans.repository';
import { errorMessage } from '../common/error-message';

/**
 * How often new events are looked at. A quarter of a second leaves room in the promise that a source is
 * cut off at the proxy within 1 s of the event that crosses the limit (look, commit, push). A look that
 * banned, or took longer than this, is followed at once. A tick with no event announced since the last look
 * (InsertSignals) skips it: an idle instance touches no table.
 */
export const ENGINE_INTERVAL_MS = 250;

/**
 * Even with nothing announced, a look this often: for rows a trigger cannot announce (written into a day's
 * partition by name, which no writer does). Idle, one transaction per instance per 10 s.
 */
export const ENGINE_SAFETY_LOOK_MS = 10_000;

/**
 * Security-log lines of a look's bans written between two turns of the event loop: small, so the next look's
 * queries are not held long (with 50, a 723-line burst kept the next look from its lock for 0.4 s).
 */
const LOG_CHUNK = 10;

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
 * SIP_BAN_IPV6_PREFIX) with SIP_BAN_MAX_RETRY counted events within SIP_BAN_FIND_TIME is banned. A source
 * that touched a decoy username (SIP_DECOY_USERNAMES) once is banned at once. Each ban stores its evidence
 * (ban-reason.ts), and its reason says which rule fired on what.
 *
 * It reads the tables, not the API's traffic, so it sees what the proxy inserted with plain SQL just as
 * well: every 250 ms it takes the sources of the rows added since the last look (an id watermark per
 * table), up to the settled horizons (no id below them can still be committed, so the watermark never
 * passes an event a writer has yet to commit), and counts their events in the window on the
 * (source_ip, created_at) indexes. A trigger with
 * NOTIFY per row would put work on every insert, at attack rates; the watermark poll costs one indexed
 * query per look whatever the rate, and up to a look's interval of delay. The tables do announce each
 * INSERT statement (one NOTIFY per batch), only so that a tick with nothing announced can skip its look.
 */
@Injectable()
export class BanEngineService implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger(BanEngineService.name);
  private timer?: NodeJS.Timeout;
  private stopped = false;
  /** The look in progress, if any: looks never overlap within an instance. */
  private running: Promise<unknown> = Promise.resolve();
  /** The security-log lines of the looks' bans still being written, in order. */
  private logging: Promise<void> = Promise.resolve();
  /** Until the first look, every event in the window is new (a restart misses nothing). */
  private watermark: EventWatermark = { failed: '0', knocks: '0' };
  private readonly exemptions: BanEngineExemptions[] = [];
  private evaluatedUpTo?: Date;
  private readonly wakeUps: WakeUps;
  /** The last look held the engine's lock (this instance is the one evaluating). */
  private lastLookEvaluated = false;

  constructor(
    private readonly repository: SipBansRepository,
    private readonly bans: BanService,
    private readonly index: BanIndexService,
    private readonly metrics: MetricsService,
    signals: InsertSignals,
    @InjectConfig() private readonly config: AppConfig,
  ) {
    this.wakeUps = new WakeUps(signals, ['failed_registrations', 'door_knock_attempts'], ENGINE_SAFETY_LOOK_MS);
  }

  /** Adds a rule that may hold back bans; to be called before the application bootstraps (onModuleInit). */
  addExemptions(exemptions: BanEngineExemptions): void {
    this.exemptions.push(exemptions);
  }

  onApplicationBootstrap(): void {
    this.scheduleLook(ENGINE_INTERVAL_MS);
  }

  async onApplicationShutdown(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.timer);
    await this.running.catch(() => undefined);
    await this.logging;
  }

  private scheduleLook(delayMs: number): void {
    this.timer = setTimeout(() => void this.lookThenSchedule(), delayMs);
    this.timer.unref();
  }

  /**
   * A distributed attack's sources reach the limit together: a look that banned, or outlasted the interval,
   * leaves events that arrived meanwhile, and waiting for a fixed tick put up to one look plus one interval
   * between such an event and its ban.
   */
  private async lookThenSchedule(): Promise<void> {
    const startedAt = Date.now();
    let banned = false;
    if (this.wakeUps.mustLook(startedAt)) {
      try {
        banned = (await this.evaluate()).length > 0;
      } catch (error) {
        this.logger.warn(`evaluation failed: ${errorMessage(error)}`);
      }
    } else if (this.lastLookEvaluated) {
      // Nothing was committed since this instance's last look, or it would have been announced by now (give
      // or take a notification in flight): the lag metric must not read an idle engine as a stuck one.
      this.markEvaluatedUpTo(new Date(startedAt));
    }
    if (this.stopped) return;
    this.scheduleLook(banned ? 0 : Math.max(0, ENGINE_INTERVAL_MS - (Date.now() - startedAt)));
  }

  private markEvaluatedUpTo(time: Date): void {
    this.evaluatedUpTo = time;
    this.metrics.setBanEngineWatermark(time);
  }

  /**
   * One look at the events added since the last one; returns the bans it created. A call made while a
   * look is in progress runs after it, so when it resolves every event committed before the call has
   * been evaluated (unless another instance holds the engine's lock); their security-log lines may follow
   * a little later (loggedSoFar). Tests drive the engine with it.
   */
  evaluate(): Promise<SipBan[]> {
    const look = this.running.catch(() => undefined).then(() => this.lookAtNewEvents());
    this.running = look;
    return look;
  }

  /** Resolves once the security-log lines of every look so far are written. */
  loggedSoFar(): Promise<void> {
    return this.logging;
  }

  /**
   * Seconds since the time up to which this instance's engine has evaluated every stored event; null before
   * its first look (regshield_ban_engine_lag_seconds).
   */
  lagSeconds(): number | null {
    return this.evaluatedUpTo === undefined ? null : Math.max(0, (Date.now() - this.evaluatedUpTo.getTime()) / 1000);
  }

  private async lookAtNewEvents(): Promise<SipBan[]> {
    // Every event committed before this moment is among those the look reads; one announced after it may not
    // be, so it calls for another look.
    const lookStartedAt = new Date();
    this.wakeUps.lookStarting(lookStartedAt.getTime());
    // Before the look's transaction, not in it: the tables' locks are held for that instant only.
    const latest = await this.repository.findSettledEventHorizons().catch((error: unknown) => {
      this.wakeUps.lookAgain();
      throw error;
    });
    if (latest === undefined) {
      // A writer's transaction is still open, and the events after its id wait for it: nothing is skipped,
      // only delayed. Its commit is announced, but a rollback is not, and what was announced meanwhile is
      // still unread, so the next tick looks again rather than at the safety look.
      this.wakeUps.lookAgain();
      this.logger.debug('an insert into the event tables is still open: the look waits for the next tick');
      return [];
    }
    const created = await this.repository
      .inEngineTransaction(async (manager) => {
        const offenders = await this.repository.countRecentEventsBySource(
          manager,
          this.watermark,
          latest,
          this.config.sipBan,
        );
        const decoyTouches = await this.repository.findDecoyTouches(
          manager,
          this.watermark,
          latest,
          this.config.sipBan,
          this.config.sipDecoyUsernames,
        );
        this.watermark = latest;
        return this.banEligible(manager, offenders, decoyTouches);
      })
      .catch((error: unknown) => {
        // Whatever was announced is still to be read.
        this.wakeUps.lookAgain();
        throw error;
      });
    // undefined: another instance holds the engine's lock and evaluates this tick.
    this.lastLookEvaluated = created !== undefined;
    if (created === undefined) return [];
    this.markEvaluatedUpTo(lookStartedAt);
    if (created.length === 0) return [];
    this.index.add(created.map(({ ban }) => ({ cidr: ban.cidr, reason: ban.reason, expiresAt: ban.expiresAt })));
    // Each line is a synchronous write: written at once, hundreds of them held this event loop for a quarter
    // of a second under bench:sip, and with it the push of these very bans to the proxy and the next look. In
    // chunks, behind this look, they fill the time this process waits on the database and the proxy.
    this.logging = this.logging.then(() => this.logInChunks(created));
    return created.map(({ ban }) => ban);
  }

  private async logInChunks(created: Array<{ ban: SipBan; hits: number }>): Promise<void> {
    for (let from = 0; from < created.length; from += LOG_CHUNK) {
      await new Promise((resolve) => setImmediate(resolve));
      try {
        this.bans.recordAutomaticBans(created.slice(from, from + LOG_CHUNK));
      } catch (error) {
        this.logger.warn(`security log: ${errorMessage(error)}`);
      }
    }
  }

  private async banEligible(
    manager: EntityManager,
    offenders: Offender[],
    decoyTouches: DecoyTouch[],
  ): Promise<Array<{ ban: SipBan; hits: number }>> {
    // A decoy touch decides the rule even when the source also crossed the limit: it is the stronger proof.
    const decoyByUnit = new Map(decoyTouches.map(({ unit, username }) => [unit, username]));
    // A decoy touch bans whatever else is known of the source; only the count rule may be held back.
    const exempt = new Set<string>();
    const counted = offenders.filter(({ unit }) => !decoyByUnit.has(unit));
    for (const exemptions of counted.length > 0 ? this.exemptions : []) {
      for (const unit of await exemptions.exempt(manager, counted)) exempt.add(unit);
    }
    const units = [
      ...new Set([...offenders.map(({ unit }) => unit).filter((unit) => !exempt.has(unit)), ...decoyByUnit.keys()]),
    ];
    if (units.length === 0) return [];
    const eligibility = await this.repository.findBanEligibilities(manager, units);
    const eligible = units.flatMap((unit) => {
      const found = eligibility.get(unit);
      return found === undefined || found.allowlisted || found.banned
        ? []
        : [{ unit, previousAutomaticBans: found.previousAutomaticBans }];
    });
    if (eligible.length === 0) return [];
    const { sipBan } = this.config;
    const activity = await this.repository.summarizeUnitActivity(
      manager,
      eligible.map(({ unit }) => unit),
      sipBan.findTimeSeconds,
    );
    const bans: NewAutomaticBan[] = eligible.map(({ unit, previousAutomaticBans }) => {
      const evidence = automaticBanEvidence(decoyByUnit.get(unit), activity.get(unit), sipBan);
      return {
        unit,
        reason: automaticBanReason(evidence, previousAutomaticBans),
        durationSeconds: banDurationSeconds(sipBan, previousAutomaticBans),
        evidence,
      };
    });
    const created = await this.repository.insertAutomaticBans(manager, bans);
    return created.map((ban) => ({
      ban,
      hits: ban.evidence === null ? 0 : ban.evidence.failedRegistrations + ban.evidence.doorKnocks,
    }));
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
