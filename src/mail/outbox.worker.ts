import { BeforeApplicationShutdown, Inject, Injectable, Logger, OnApplicationBootstrap } from '@nestjs/common';
import { SecurityLogService } from '../common/security-log.service';
import { AppConfig } from '../config/app-config';
import { InjectConfig } from '../config/config.module';
import { MetricsService } from '../metrics/metrics.service';
import { MailTransport } from './mail-transport';
import { DeliveryOutcome, OutboxRepository, QueuedMail } from './outbox.repository';
import { retryDelayMs } from './retry-delay';
import { errorMessage } from '../common/error-message';

/** SMTP errors can be long (a server's whole answer); the stored and logged reason need not be. */
const MAX_ERROR_LENGTH = 500;

/**
 * Sends what the outbox holds, in every instance: each message is sent while its row is locked
 * (FOR UPDATE SKIP LOCKED), so two instances never send one message twice. A failed attempt is retried
 * with a growing, jittered delay; after MAIL_MAX_ATTEMPTS the message is given up and a `mail_failed`
 * security event says so (and so shows in the audit trail).
 */
@Injectable()
export class OutboxWorker implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private readonly logger = new Logger(OutboxWorker.name);
  private timer?: NodeJS.Timeout;
  private running?: Promise<void>;
  private stopping = false;
  private databaseFailing = false;

  constructor(
    private readonly outbox: OutboxRepository,
    @Inject(MailTransport) private readonly transport: MailTransport,
    private readonly securityLog: SecurityLogService,
    private readonly metrics: MetricsService,
    @InjectConfig() private readonly config: AppConfig,
  ) {}

  onApplicationBootstrap(): void {
    this.timer = setInterval(() => void this.sendDue(), this.config.mail.pollIntervalMs);
  }

  /** Before the pool closes (TypeORM's own shutdown hook): a message being sent is finished and recorded. */
  async beforeApplicationShutdown(): Promise<void> {
    this.stopping = true;
    clearInterval(this.timer);
    await this.running;
    this.transport.close();
  }

  /** Sends every message due now, one at a time; a tick that finds one already running does nothing. */
  sendDue(): Promise<void> {
    this.running ??= this.drain().finally(() => {
      this.running = undefined;
    });
    return this.running;
  }

  private async drain(): Promise<void> {
    try {
      while (!this.stopping) {
        const processed = await this.outbox.processNextDue((message) => this.deliver(message));
        if (!processed) break;
        this.report(processed.message, processed.outcome);
      }
      this.databaseFailing = false;
    } catch (error) {
      // The database is away: the messages wait in it, and the next tick tries again. Said once per outage.
      if (!this.databaseFailing) {
        this.logger.warn(`Cannot read the mail outbox: ${describe(error)}`);
      }
      this.databaseFailing = true;
    }
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
