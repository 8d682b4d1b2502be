import { BeforeApplicationShutdown, Inject, Injectable, Logger, OnApplicationBootstrap } from '@nestjs/common';
import { SecurityLogService } from '../common/security-log.service';
import { AppConfig } from '../config/app-config';
import { InjectConfig } from '../config/config.module';
import { InsertSignals, WakeUps } from '../database/insert-signals';
import { MetricsService } from '../metrics/metrics.service';
import { MailTransport } from './mail-transport';
import { DeliveryOutcome, OutboxRepository, QueuedMail } from './outbox.repository';
import { retryDelayMs } from './retry-delay';
import { errorMessage } from '../common/error-message';

/** SMTP errors can be long (a server's whole answer); the stored and logged reason need not be. */
const MAX_ERROR_LENGTH = 500;

/**
 * With nothing announced and nothing known to come due, the outbox is still asked this often: a safety net
 * for a message no notification announced (none is expected). Idle, one SELECT a minute per instance.
 */
export const OUTBOX_RECHECK_MS = 60_000;

/**
 * Sends what the outbox holds, in every instance: each message is sent while its row is locked
 * (FOR UPDATE SKIP LOCKED), so two instances never send one message twice. A failed attempt is retried
 * with a growing, jittered delay; after MAIL_MAX_ATTEMPTS the message is given up and a `mail_failed`
 * security event says so (and so shows in the audit trail).
 *
 * Every MAIL_POLL_INTERVAL_MS it may look, but asks the database only when a message was queued since
 * (InsertSignals: from any instance, or plain SQL), when the earliest pending message it knows of comes due (a
 * retry, or one another instance holds or left behind when it crashed: it stays due and pending, so this
 * worker keeps looking until it is sent), while its LISTEN connection is down, or every OUTBOX_RECHECK_MS.
 * A look first asks when the next message is due, with one SELECT, and opens a transaction only if one is.
 */
@Injectable()
export class OutboxWorker implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private readonly logger = new Logger(OutboxWorker.name);
  private timer?: NodeJS.Timeout;
  private running?: Promise<void>;
  private stopping = false;
  private databaseFailing = false;
  private readonly wakeUps: WakeUps;
  /** When (this process's clock) the earliest pending message comes due; 0: look at the next tick. */
  private nextDueAt = 0;

  constructor(
    private readonly outbox: OutboxRepository,
    @Inject(MailTransport) private readonly transport: MailTransport,
    private readonly securityLog: SecurityLogService,
    private readonly metrics: MetricsService,
    @InjectConfig() private readonly config: AppConfig,
    signals: InsertSignals,
  ) {
    this.wakeUps = new WakeUps(signals, ['mail_outbox'], OUTBOX_RECHECK_MS);
  }

  onApplicationBootstrap(): void {
    this.timer = setInterval(() => {
      if (this.mustLook()) void this.sendDue();
    }, this.config.mail.pollIntervalMs);
  }

  private mustLook(): boolean {
    const now = Date.now();
    return this.wakeUps.mustLook(now) || now >= this.nextDueAt;
  }

  /** Before the pool closes (TypeORM's own shutdown hook): a message being sent is finished and recorded. */
  async beforeApplicationShutdown(): Promise<void> {
    this.stopping = true;
    clearInterval(this.timer);
    await this.running;
    this.transport.close();
  }

  /**
   * Sends every message due now, one at a time, then learns when the next one is due; a tick that finds one
   * already running does nothing.
   */
  sendDue(): Promise<void> {
    this.running ??= this.drain().finally(() => {
      this.running = undefined;
    });
    return this.running;
  }

  private async drain(): Promise<void> {
    // A message queued from here on may be missed by this look: its notification calls for another.
    this.wakeUps.lookStarting();
    try {
      if (await this.dueNow()) {
        while (!this.stopping) {
          const processed = await this.outbox.processNextDue((message) => this.deliver(message));
          if (!processed) break;
          this.report(processed.message, processed.outcome);
        }
        await this.dueNow();
      }
      this.databaseFailing = false;
    } catch (error) {
      this.nextDueAt = 0;
      // The database is away: the messages wait in it, and the next tick tries again. Said once per outage.
      if (!this.databaseFailing) {
        this.logger.warn(`Cannot read the mail outbox: ${describe(error)}`);
      }
      this.databaseFailing = true;
    }
  }

  /** Asks when the earliest pending message is due, and remembers it; true if one is due now. */
  private async dueNow(): Promise<boolean> {
    const dueInMs = await this.outbox.findNextDueInMs();
    this.nextDueAt = dueInMs === undefined ? Infinity : Date.now() + Math.max(0, dueInMs);
    return dueInMs !== undefined && dueInMs <= 0;
  }

  private async deliver(message: QueuedMail): Promise<DeliveryOutcome> {
    try {
      await this.transport.send(message);
      return { status: 'sent' };
    } catch (error) {
      const attempt = message.attempts + 1;
      const reason = describe(error);
      if (attempt >= this.config.mail.maxAttempts) {
        return { status: 'failed', error: reason };
      }
      return { status: 'retry', error: reason, retryInMs: retryDelayMs(attempt, this.config.mail.retryBaseMs) };
    }
  }

  private report(message: QueuedMail, outcome: DeliveryOutcome): void {
    this.metrics.recordMailDelivery(outcome.status);
    const attempts = message.attempts + 1;
    if (outcome.status === 'retry') {
      this.logger.warn(
        `E-mail ${message.id} (${message.kind}) not sent, attempt ${attempts}: ${outcome.error}; ` +
          `retrying in ${Math.round(outcome.retryInMs / 1000)} s`,
      );
    } else if (outcome.status === 'failed') {
      this.securityLog.log('mail_failed', {
        outbox_id: message.id,
        kind: message.kind,
        email: message.to,
        attempts,
        reason: outcome.error,
      });
    }
  }
}

function describe(error: unknown): string {
  return errorMessage(error).slice(0, MAX_ERROR_LENGTH);
}
