import { Injectable, OnApplicationBootstrap, OnApplicationShutdown } from '@nestjs/common';
import { BatchedPruner } from '../common/batched-pruner';
import { AppConfig } from '../config/app-config';
import { InjectConfig } from '../config/config.module';
import { RegistrationSuccessesRepository } from './registration-successes.repository';

const DAY_MS = 86_400_000;

/**
 * Deletes registration successes as SIP_EVENT_RETENTION_DAYS says for the other SIP events (0: never), at
 * start and hourly, in small batches; but never one the account rules still read (SIP_ACCOUNT_HISTORY_DAYS,
 * SIP_TRUST_TTL), whatever the retention. Alerts and blocks are kept.
 */
@Injectable()
export class RegistrationRetentionService implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly pruner = new BatchedPruner('Registration successes', RegistrationRetentionService.name);

  constructor(
    private readonly successes: RegistrationSuccessesRepository,
    @InjectConfig() private readonly config: AppConfig,
  ) {}

  onApplicationBootstrap(): void {
    if (this.config.sipEventRetentionDays === 0) return;
    this.pruner.start(() => this.pruneExpired());
  }

  onApplicationShutdown(): void {
    this.pruner.stop();
  }

  /** Returns how many rows were deleted (none when retention is off). */
  async pruneExpired(): Promise<number> {
    const { sipEventRetentionDays, sipAccounts } = this.config;
    if (sipEventRetentionDays === 0) return 0;
    const keptMs = Math.max(
      sipEventRetentionDays * DAY_MS,
      sipAccounts.historyDays * DAY_MS,
      sipAccounts.trustTtlSeconds * 1000,
    );
    const before = new Date(Date.now() - keptMs);
    return this.pruner.deleteInBatches((limit) => this.successes.deleteOlderThan(before, limit));
  }
}
