import { BeforeApplicationShutdown, Injectable, Logger, OnApplicationBootstrap } from '@nestjs/common';
import { AuditBuffer } from '../common/audit-buffer';
import { AuditRepository } from './audit.repository';
import { errorMessage } from '../common/error-message';

const FLUSH_INTERVAL_MS = 250;
const BATCH_SIZE = 500;

/** Stores the security events AuditBuffer holds, in batches, every quarter second (see AuditBuffer for why). */
@Injectable()
export class AuditWriter implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private readonly logger = new Logger(AuditWriter.name);
  private timer?: NodeJS.Timeout;
  private flushing?: Promise<void>;
  private databaseFailing = false;

  constructor(
    private readonly buffer: AuditBuffer,
    private readonly audit: AuditRepository,
  ) {}

  onApplicationBootstrap(): void {
    this.timer = setInterval(() => void this.flush(), FLUSH_INTERVAL_MS);
  }

  /** Stores what is left before the pool closes; events logged after this are in the log only. */
  async beforeApplicationShutdown(): Promise<void> {
    clearInterval(this.timer);
    await this.flush();
  }

  /** Stores everything buffered now; a call made while one runs waits for it instead. */
  flush(): Promise<void> {
    this.flushing ??= this.storeAll().finally(() => {
      this.flushing = undefined;
    });
    return this.flushing;
  }

  private async storeAll(): Promise<void> {
    const dropped = this.buffer.takeDroppedCount();
    if (dropped > 0) {
      this.logger.error(`${dropped} security events were not stored in the audit table (the security log has them)`);
    }
    for (let batch = this.buffer.take(BATCH_SIZE); batch.length > 0; batch = this.buffer.take(BATCH_SIZE)) {
      try {
        await this.audit.insertEvents(batch);
      } catch (error) {
        this.buffer.giveBack(batch);
        if (!this.databaseFailing) {
          this.logger.warn(`Cannot store security events yet: ${errorMessage(error)}`);
        }
        this.databaseFailing = true;
        return;
      }
    }
    this.databaseFailing = false;
  }
}
