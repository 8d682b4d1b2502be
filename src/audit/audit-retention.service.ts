import { Injectable, Logger, OnApplicationBootstrap, OnApplicationShutdown } from '@nestjs/common';
import { AppConfig } from '../config/app-config';
import { InjectConfig } from '../config/config.module';
import { AuditRepository } from './audit.repository';

const PRUNE_INTERVAL_MS = 3_600_000;
const PRUNE_BATCH_SIZE = 1000;
const DAY_MS = 86_400_000;

/** Deletes audit events older than AUDIT_RETENTION_DAYS, at start and hourly, in small batches. */
@Injectable()
export class AuditRetentionService implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger(AuditRetentionService.name);
  private timer?: NodeJS.Timeout;
  private stopping = false;

  constructor(
    private readonly audit: AuditRepository,
    @InjectConfig() private readonly config: AppConfig,
  ) {}

  onApplicationBootstrap(): void {
    const prune = () =>
      void this.pruneExpired().catch((error: unknown) => {
        this.logger.warn(`Audit pruning failed: ${error instanceof Error ? error.message : String(error)}`);
      });
    prune();
    this.timer = setInterval(prune, PRUNE_INTERVAL_MS);
  }

  onApplicationShutdown(): void {
    this.stopping = true;
    clearInterval(this.timer);
  }

  /** Returns how many events were deleted. */
  async pruneExpired(): Promise<number> {
    const before = new Date(Date.now() - this.config.auditRetentionDays * DAY_MS);
    let total = 0;
    for (;;) {
      const deleted = await this.audit.deleteOlderThan(before, PRUNE_BATCH_SIZE);
      total += deleted;
      if (deleted < PRUNE_BATCH_SIZE || this.stopping) return total;
    }
  }
}
