import { Injectable, Logger, OnApplicationBootstrap, OnApplicationShutdown } from '@nestjs/common';
import { EntityManager } from 'typeorm';
import { AuditTrail, RecordAuditEvent } from '../audit/audit-trail.service';
import { AppConfig } from '../config/app-config';
import { InjectConfig } from '../config/config.module';
import { InsertSignals, WakeUps } from '../database/insert-signals';
import { OutboxWorker } from '../mail/outbox.worker';
import { BanIndexService } from '../sip-security/ban-index.service';
import { BanService } from '../sip-security/ban.service';
import { AlertOutcome, AccountAlertResponseService } from './account-alert-response.service';
import { AccountBlocksService } from './account-blocks.service';
import { compromiseRule, newNetworkKind } from './account-rules';
import { CountryLookupService } from './country-lookup.service';
import { RegistrationFacts, RegistrationSuccessesRepository } from './registration-successes.repository';
import { errorMessage } from '../common/error-message';

/**
 * A quarter of a second, as the ban engine: the promise is a compromised account blocked at the proxy, and
 * its source banned, within 1 s of the successful REGISTER (the proxy's write ≤ 0.1 s, this look, the push).
 */
const WATCH_INTERVAL_MS = 250;
/**
 * With no success announced (InsertSignals), a look this often anyway, for rows no trigger announced (none
 * is expected): an idle instance's watch costs one transaction per 10 s instead of four a second.
 */
const WATCH_SAFETY_LOOK_MS = 10_000;
/** Successes evaluated per look; a backlog takes several looks. */
const BATCH = 500;

/**
 * Applies the account rules to every registration success, once, in order: each look takes the rows after
 * the stored watermark (sip_account_watch_state, under an advisory lock, so several instances and restarts
 * evaluate each row exactly once) up to the settled horizon (no id below it can still be committed, so the
 * watermark never passes a row a writer has yet to commit), asks the database for each row's facts and
 * stores what fired, its watermark with it. After the commit the new bans and blocks are pushed to the
 * proxies and the e-mails are sent. A tick looks only when a success was announced since the last look
 * began, the LISTEN connection is down (nothing can be announced), or WATCH_SAFETY_LOOK_MS has passed.
 */
@Injectable()
export class AccountWatchService implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger(AccountWatchService.name);
  private timer?: NodeJS.Timeout;
  private running: Promise<unknown> = Promise.resolve();
  private busy = false;
  private readonly wakeUps: WakeUps;

  constructor(
    private readonly successes: RegistrationSuccessesRepository,
    private readonly response: AccountAlertResponseService,
    private readonly countries: CountryLookupService,
    private readonly blocks: AccountBlocksService,
    private readonly bans: BanService,
    private readonly banIndex: BanIndexService,
    private readonly auditTrail: AuditTrail,
    private readonly outbox: OutboxWorker,
    signals: InsertSignals,
    @InjectConfig() private readonly config: AppConfig,
  ) {
    this.wakeUps = new WakeUps(signals, ['registration_successes'], WATCH_SAFETY_LOOK_MS);
  }

  onApplicationBootstrap(): void {
    this.timer = setInterval(() => {
      if (!this.busy && this.wakeUps.mustLook()) void this.evaluate();
    }, WATCH_INTERVAL_MS);
    this.timer.unref();
  }

  async onApplicationShutdown(): Promise<void> {
    clearInterval(this.timer);
    await this.running;
  }

  /** One look (after the one in progress); resolves with the alerts it raised. Tests drive the watch with it. */
  evaluate(): Promise<AlertOutcome[]> {
    const look = this.running.then(() => {
      // A success announced from here on may be missed by this look's read: it calls for another look.
      this.wakeUps.lookStarting();
      return this.look().catch((error: unknown) => {
        // Whatever was announced is still to be read.
        this.wakeUps.lookAgain();
        this.logger.warn(`evaluation failed: ${errorMessage(error)}`);
        return [];
      });
    });
    this.running = look;
    this.busy = true;
    void look.then(() => {
      if (this.running === look) this.busy = false;
    });
    return look;
  }

  private async look(): Promise<AlertOutcome[]> {
    // Before the look's transaction, not in it: the table's lock is held for that instant only.
    const horizon = await this.successes.findSettledHorizon();
    if (horizon === undefined) {
      // A writer's transaction is still open, and the rows after its id wait for it: nothing is skipped,
      // only delayed. Its commit is announced, but a rollback is not, and what was announced meanwhile is
      // still unread, so the next tick looks again rather than at the safety look.
      this.wakeUps.lookAgain();
      this.logger.debug('an insert into registration_successes is still open: the look waits for the next tick');
      return [];
    }
    const outcomes: AlertOutcome[] = [];
    let more = true;
    while (more) {
      const batch = await this.auditTrail.run(async (tx, record) => {
        if (!(await this.successes.tryLockWatch(tx))) return { raised: [], full: false };
        const watchedUpTo = await this.successes.findWatchedUpTo(tx);
        const rows = await this.successes.findSuccessesWithFacts(tx, watchedUpTo, horizon, {
          findTimeSeconds: this.config.sipBan.findTimeSeconds,
          ipv6Prefix: this.config.sipBan.ipv6Prefix,
          trustTtlSeconds: this.config.sipAccounts.trustTtlSeconds,
          historyDays: this.config.sipAccounts.historyDays,
          batch: BATCH,
        });
        if (rows.length === 0) return { raised: [], full: false };
        const raised: AlertOutcome[] = [];
        for (const success of rows) {
          const outcome = await this.evaluateOne(success, tx, record);
          if (outcome) raised.push(outcome);
        }
        await this.successes.saveWatchedUpTo(rows[rows.length - 1].id, tx);
        return { raised, full: rows.length === BATCH };
      });
      outcomes.push(...batch.raised);
      more = batch.full;
    }
    await this.afterCommit(outcomes);
    return outcomes;
  }

  private evaluateOne(
    success: RegistrationFacts,
    tx: EntityManager,
    record: RecordAuditEvent,
  ): Promise<AlertOutcome> | undefined {
    const rule = compromiseRule(success, this.config.sipBan.maxRetry);
    if (rule !== undefined) return this.response.respondToCompromise(success, rule, tx, record);
    const country = this.countries.countryOf(success.sourceIp);
    const known = this.countries.enabled ? this.knownCountries(success.historySources) : undefined;
    const kind = newNetworkKind(success, country, known);
    if (kind === undefined) return undefined;
    return this.response.respondToNewNetwork(success, kind, country, [...(known ?? [])], tx, record);
  }

  private knownCountries(sources: string[]): Set<string> {
    const known = new Set<string>();
    for (const source of sources) {
      const country = this.countries.countryOf(source);
      if (country !== undefined) known.add(country);
    }
    return known;
  }

  private async afterCommit(outcomes: AlertOutcome[]): Promise<void> {
    const bans = outcomes.flatMap(({ ban }) => (ban ? [{ ban, hits: 1 }] : []));
    const work: Array<Promise<unknown>> = [];
    if (bans.length > 0) {
      this.bans.recordAutomaticBans(bans);
      work.push(this.banIndex.reload());
    }
    if (outcomes.some(({ block }) => block !== undefined)) work.push(this.blocks.reload());
    if (outcomes.some(({ alert }) => alert.kind === 'credential_compromise')) work.push(this.outbox.sendDue());
    await Promise.all(work);
  }
}
