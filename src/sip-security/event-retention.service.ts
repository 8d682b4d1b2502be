import { Injectable, Logger, OnApplicationBootstrap, OnApplicationShutdown } from '@nestjs/common';
import { setTimeout as sleep } from 'node:timers/promises';
import { EntityManager } from 'typeorm';
import { AppConfig } from '../config/app-config';
import { InjectConfig } from '../config/config.module';
import { EventPartitionsRepository } from './event-partitions.repository';
import {
  EVENT_TABLES,
  EventTable,
  RETENTION_START,
  RetentionCursor,
  RetentionKeep,
  SipEventsRepository,
} from './sip-events.repository';
import { errorMessage } from '../common/error-message';

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

/** What a pass did to one event table. */
export interface TableRetention {
  /** Partitions dropped whole, their rows with them (uncounted: counting them would read them). */
  droppedPartitions: number;
  /** Rows deleted in batches: from the partition the cutoff falls in, and the DEFAULT partition. */
  deletedRows: number;
}

export type RetentionResult = Record<EventTable, TableRetention>;

/** Settings a test may shorten; the service runs with the defaults. */
export interface RetentionPacing {
  batchSize: number;
  pauseMs: number;
}

const DEFAULT_PACING: RetentionPacing = { batchSize: RETENTION_BATCH_SIZE, pauseMs: PAUSE_BETWEEN_BATCHES_MS };

/**
 * SIP_EVENT_RETENTION_DAYS: removes events older than that, hourly (each instance's hour jittered by ±10 %)
 * and once soon after start; bans, the allowlist, account alerts and blocks are kept. registration_successes
 * keeps its rows longer when the account rules read further back: never one within SIP_ACCOUNT_HISTORY_DAYS
 * or SIP_TRUST_TTL, whatever the retention. The event tables are partitioned by day: a partition wholly older
 * than its table's cutoff is dropped, and only the rows of partitions the cutoff falls in (its day's, the
 * DEFAULT partition's) are deleted in batches. One instance at a time (an advisory lock); a pass stops
 * between statements when the service shuts down.
 */
@Injectable()
export class EventRetentionService implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger(EventRetentionService.name);
  private timer?: NodeJS.Timeout;
  private pass: Promise<unknown> = Promise.resolve();
  private stopping = false;

  constructor(
    private readonly repository: SipEventsRepository,
    private readonly partitions: EventPartitionsRepository,
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
   * One pass over every event table; what it removed, or undefined when another instance holds the lock or
   * retention is off (0). Tests and the bench drive it directly.
   */
  purgeExpiredEvents(pacing: RetentionPacing = DEFAULT_PACING): Promise<RetentionResult | undefined> {
    if (this.config.sipEventRetentionDays === 0) return Promise.resolve(undefined);
    const pass = this.pass.then(() =>
      this.repository.withRetentionLock(async (session) => {
        const result = {} as RetentionResult;
        for (const table of EVENT_TABLES) {
          const cutoff = await this.repository.findRetentionCutoff(session, this.keepOf(table));
          result[table] = await this.purgeTable(session, table, cutoff, pacing);
        }
        return result;
      }),
    );
    this.pass = pass.catch(() => undefined);
    return pass;
  }

  /**
   * How long `table` keeps its rows: SIP_EVENT_RETENTION_DAYS; registration_successes at least as long as the
   * account rules look back, SIP_ACCOUNT_HISTORY_DAYS (an account's known networks) and SIP_TRUST_TTL (trusted
   * sources).
   */
  keepOf(table: EventTable): RetentionKeep {
    const { sipEventRetentionDays, sipAccounts } = this.config;
    if (table !== 'registration_successes') return { days: sipEventRetentionDays, seconds: 0 };
    return {
      days: Math.max(sipEventRetentionDays, sipAccounts.historyDays),
      seconds: sipAccounts.trustTtlSeconds,
    };
  }

  private async purgeTable(
    session: EntityManager,
    table: EventTable,
    cutoff: string,
    pacing: RetentionPacing,
  ): Promise<TableRetention> {
    const retention: TableRetention = { droppedPartitions: 0, deletedRows: 0 };
    for (const partition of await this.partitions.findPartitions(session, table, cutoff)) {
      if (this.stopping) break;
      // A partition whose drop waited too long for its lock is left whole for the next pass: deleting
      // its rows one batch at a time is what partitioning avoids.
      if (partition.whollyExpired) {
        if (await this.partitions.dropPartition(partition.name)) retention.droppedPartitions += 1;
      } else if (partition.partlyExpired) {
        retention.deletedRows += await this.deleteInBatches(session, partition.name, cutoff, pacing);
      }
    }
    return retention;
  }

  private async deleteInBatches(
    session: EntityManager,
    partition: string,
    cutoff: string,
    { batchSize, pauseMs }: RetentionPacing,
  ): Promise<number> {
    let total = 0;
    let from: RetentionCursor | undefined = RETENTION_START;
    while (from !== undefined && !this.stopping) {
      const { deleted, last } = await this.repository.deleteExpiredEvents(session, partition, cutoff, from, batchSize);
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
          if (result) this.logResult(result);
        })
        .catch((error: unknown) => this.logger.warn(`retention pass failed: ${errorMessage(error)}`))
        .finally(() => {
          if (!this.stopping) this.schedule(HOUR_MS * (0.9 + Math.random() * 0.2));
        });
    }, delayMs);
    this.timer.unref();
  }

  private logResult(result: RetentionResult): void {
    for (const table of EVENT_TABLES) {
      const { droppedPartitions, deletedRows } = result[table];
      if (droppedPartitions + deletedRows === 0) continue;
      const { days, seconds } = this.keepOf(table);
      const kept = seconds > days * 86_400 ? `${seconds} s` : `${days} days`;
      this.logger.log(
        `${table}: dropped ${droppedPartitions} partitions, deleted ${deletedRows} more rows (> ${kept})`,
      );
    }
  }
}
