import { Injectable, Logger, OnApplicationBootstrap, OnApplicationShutdown } from '@nestjs/common';
import { SessionsRepository } from './sessions.repository';

const PRUNE_INTERVAL_MS = 3_600_000;
const PRUNE_BATCH_SIZE = 1000;
/**
 * Ended sessions are kept this long (an admin or the audit trail may still ask about them), then deleted
 * with their spent refresh tokens. A token of a deleted session is refused like any unknown one.
 */
export const ENDED_SESSION_RETENTION_MS = 7 * 86_400_000;

/** Deletes sessions 7 days after they expired or were revoked, at start and hourly, in small batches. */
@Injectable()
export class SessionRetentionService implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger(SessionRetentionService.name);
  private timer?: NodeJS.Timeout;
  private stopping = false;

  constructor(private readonly sessions: SessionsRepository) {}

  onApplicationBootstrap(): void {
    const prune = () =>
      void this.pruneEnded().catch((error: unknown) => {
        this.logger.warn(`Session pruning failed: ${error instanceof Error ? error.message : String(error)}`);
      });
    prune();
    this.timer = setInterval(prune, PRUNE_INTERVAL_MS);
  }

  onApplicationShutdown(): void {
    this.stopping = true;
    clearInterval(this.timer);
  }

  /** Returns how many sessions were deleted. */
  async pruneEnded(): Promise<number> {
    const before = new Date(Date.now() - ENDED_SESSION_RETENTION_MS);
    let total = 0;
    for (;;) {
      const deleted = await this.sessions.deleteEndedBefore(before, PRUNE_BATCH_SIZE);
      total += deleted;
      if (deleted < PRUNE_BATCH_SIZE || this.stopping) return total;
    }
  }
}
