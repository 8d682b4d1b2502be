import { Injectable, OnApplicationBootstrap, OnApplicationShutdown } from '@nestjs/common';
import { BatchedPruner } from '../common/batched-pruner';
import { SessionsRepository } from './sessions.repository';

/**
 * Ended sessions are kept this long (an admin or the audit trail may still ask about them), then deleted
 * with their spent refresh tokens. A token of a deleted session is refused like any unknown one.
 */
export const ENDED_SESSION_RETENTION_MS = 7 * 86_400_000;

/** Deletes sessions 7 days after they expired or were revoked, at start and hourly, in small batches. */
@Injectable()
export class SessionRetentionService implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly pruner = new BatchedPruner('Session', SessionRetentionService.name);

  constructor(private readonly sessions: SessionsRepository) {}

  onApplicationBootstrap(): void {
    this.pruner.start(() => this.pruneEnded());
  }

  onApplicationShutdown(): void {
    this.pruner.stop();
  }

  /** Returns how many sessions were deleted. */
  pruneEnded(): Promise<number> {
    const before = new Date(Date.now() - ENDED_SESSION_RETENTION_MS);
    return this.pruner.deleteInBatches((limit) => this.sessions.deleteEndedBefore(before, limit));
  }
}
