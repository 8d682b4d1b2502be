import { Injectable, Logger, OnApplicationBootstrap, OnApplicationShutdown } from '@nestjs/common';
import { setTimeout as sleep } from 'node:timers/promises';
import { EntityManager } from 'typeorm';
import { AppConfig } from '../config/app-config';
import { InjectConfig } from '../config/config.module';
import { EventTable, RETENTION_START, RetentionCursor, SipEventsRepository } from './sip-events.repository';

const HOUR_MS = 3600 * 1000;
/** The first pass runs within this long after start: late enough not to slow start-up, spread across instances. */
const FIRST_PASS_WITHIN_MS = 60 * 1000;
/**
 * Rows per DELETE: each batch is one short transaction (tens of milliseconds on ten million rows,
 * docs/BENCHMARKS.md) that locks only its own rows, so the proxy's INSERTs never wait behind it.
 */
export const RETENTION_BATCH_SIZE = 5000;
/** Between batches, so that a pass over millions of expired rows leaves the database time for the rest. */
const PAUSE_BETWEEN_BATCHES_MS = 100;

export interface RetentionResult {
  failedRegistrations: number;
  doorKnocks: number;
}

/** Settings a test may shorten; the service runs with the defaults. */
export interface RetentionPacing {
  batchSize: number;
  pauseMs: number;
}

const DEFAULT_PACING: RetentionPacing = { batchSize: RETENTION_BATCH_SIZE, pauseMs: PAUSE_BETWEEN_BATCHES_MS };

/**
 * SIP_EVENT_RETENTION_DAYS: deletes failed registrations and door knocks older than that, hourly (each
 * instance's hour jittered by ±10 %) and once soon after start; bans and the allowlist are kept. One
 * instance at a time (an advisory lock); a pass stops between batches when the service shuts down.
 */
@Injectable()
export class EventRetentionService implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger(EventRetentionService.name);
  private timer?: NodeJS.Timeout;
  private pass: Promise<unknown> = Promise.resolve();
  private stopping = false;

  constructor(
    private readonly repository: SipEventsRepository,
    @InjectConfig() private readonly config: AppConfig,
  ) {}

  onApplicationBootstrap(): void {
    if (this.config.sipEventRetentionDays === 0) return;
    this.schedule(Math.random() * FIRST_PASS_WITHIN_MS);
  }

  async onApplicationShutdown(): Promise<void> {
    this.stopping = true;
    clearTimeout(this.timer);
    await this.pass;
  }

  /**
   * One pass over both tables; what it deleted, or undefined when another instance holds the lock or
   * retention is off (0). Tests and the bench drive it directly.
   */
  purgeExpiredEvents(pacing: RetentionPacing = DEFAULT_PACING): Promise<RetentionResult | undefined> {
    const days = this.config.sipEventRetentionDays;
    if (days === 0) return Promise.resolve(undefined);
    const pass = this.pass.then(() =>
      this.repository.withRetentionLock(async (session) => {
        const cutoff = await this.repository.findRetentionCutoff(session, days);
        const failedRegistrations = await this.purgeTable(session, 'failed_registrations', cutoff, pacing);
        const doorKnocks = await this.purgeTable(session, 'door_knock_attempts', cutoff, pacing);
        return { failedRegistrations, doorKnocks };
      }),
    );
    this.pass = pass.catch(() => undefined);
    return pass;
  }

  private async purgeTable(
    session: EntityManager,
    table: EventTable,
    cutoff: string,
    { batchSize, pauseMs }: RetentionPacing,
  ): Promise<number> {
    let total = 0;
    let from: RetentionCursor | undefined = RETENTION_START;
    while (from !== undefined && !this.stopping) {
      const { deleted, last } = await this.repository.deleteExpiredEvents(session, table, cutoff, from, batchSize);
      total += deleted;
      from = deleted < batchSize ? undefined : last;
      if (from !== undefined) await sleep(pauseMs);
    }
    return total;
  }

  private schedule(delayMs: number): void {
    this.timer = setTimeout(() => {
      void this.purgeExpiredEvents()
        .then((result) => {
          if (result && result.failedRegistrations + result.doorKnocks > 0) {
            const { failedRegistrations, doorKnocks } = result;
            const days = this.config.sipEventRetentionDays;
            this.logger.log(
              `deleted ${failedRegistrations} failed registrations, ${doorKnocks} door knocks (> ${days} days)`,
            );
          }
        })
        .catch((error: unknown) =>
          this.logger.warn(`retention pass failed: ${error instanceof Error ? error.message : String(error)}`),
        )
        .finally(() => {
          if (!this.stopping) this.schedule(HOUR_MS * (0.9 + Math.random() * 0.2));
        });
    }, delayMs);
    this.timer.unref();
  }
}
