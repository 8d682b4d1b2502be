import { Injectable, Logger, OnApplicationBootstrap, OnApplicationShutdown } from '@nestjs/common';
import { EVENT_PARTITION_DAYS_AHEAD } from '../database/migrations/1764000007400-PartitionSipEvents';
import { EventPartitionsRepository } from './event-partitions.repository';
import { EVENT_TABLES, EventTable } from './sip-events.repository';
import { errorMessage } from '../common/error-message';

const HOUR_MS = 3600 * 1000;

/**
 * Keeps a partition ready for today and each of the next EVENT_PARTITION_DAYS_AHEAD days (UTC) in every event
 * table: at start and hourly (jittered by ±10 % per instance), so a week of failed passes still leaves every
 * INSERT a daily partition. Several instances may run it: each table's partitions are created under an
 * advisory lock, and a day that already has its partition is skipped. Rows that found no partition (in the
 * DEFAULT partition) move into their day's when it is created.
 */
@Injectable()
export class EventPartitionsService implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger(EventPartitionsService.name);
  private timer?: NodeJS.Timeout;
  private upkeep: Promise<unknown> = Promise.resolve();
  private stopping = false;

  constructor(private readonly repository: EventPartitionsRepository) {}

  onApplicationBootstrap(): void {
    this.schedule(0);
  }

  async onApplicationShutdown(): Promise<void> {
    this.stopping = true;
    clearTimeout(this.timer);
    await this.upkeep;
  }

  /** Creates the missing partitions ahead; how many per table (undefined: another instance was at it). */
  async createPartitionsAhead(): Promise<Partial<Record<EventTable, number>>> {
    const created: Partial<Record<EventTable, number>> = {};
    for (const table of EVENT_TABLES) {
      created[table] = await this.repository.createPartitionsAhead(table, EVENT_PARTITION_DAYS_AHEAD);
    }
    return created;
  }

  private schedule(delayMs: number): void {
    this.timer = setTimeout(() => {
      const upkeep = this.createPartitionsAhead()
        .then((created) => {
          for (const [table, count] of Object.entries(created)) {
            if (count) this.logger.log(`${table}: created ${count} daily partitions ahead`);
          }
        })
        .catch((error: unknown) => this.logger.warn(`partition upkeep failed: ${errorMessage(error)}`))
        .finally(() => {
          if (!this.stopping) this.schedule(HOUR_MS * (0.9 + Math.random() * 0.2));
        });
      this.upkeep = upkeep;
    }, delayMs);
    this.timer.unref();
  }
}
