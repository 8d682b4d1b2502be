import { Injectable, OnApplicationBootstrap, OnApplicationShutdown } from '@nestjs/common';
import { BatchedPruner } from '../common/batched-pruner';
import { AppConfig } from '../config/app-config';
import { InjectConfig } from '../config/config.module';
import { AuditRepository } from './audit.repository';

const DAY_MS = 86_400_000;

/** Deletes audit events older than AUDIT_RETENTION_DAYS, at start and hourly, in small batches. */
@Injectable()
export class AuditRetentionService implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly pruner = new BatchedPruner('Audit', AuditRetentionService.name);

  constructor(
    private readonly audit: AuditRepository,
    @InjectConfig() private readonly config: AppConfig,
  ) {}

  onApplicationBootstrap(): void {
    this.pruner.start(() => this.pruneExpired());
  }

  onApplicationShutdown(): void {
    this.pruner.stop();
  }

  /** Returns how many events were deleted. */
  pruneExpired(): Promise<number> {
    const before = new Date(Date.now() - this.config.auditRetentionDays * DAY_MS);
    return this.pruner.deleteInBatches((limit) => this.audit.deleteOlderThan(before, limit));
  }
}
