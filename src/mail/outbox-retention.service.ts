import { Injectable, OnApplicationBootstrap, OnApplicationShutdown } from '@nestjs/common';
import { BatchedPruner } from '../common/batched-pruner';
import { OutboxRepository } from './outbox.repository';

/** Days a sent message stays in the outbox, for an operator asking "did that e-mail go out?". */
export const SENT_MAIL_KEEP_DAYS = 7;

/**
 * Deletes sent messages from the outbox, at start and hourly, in small batches: every sign-up, reset and
 * notice adds a row, and a sent one has done its work.
 */
@Injectable()
export class OutboxRetentionService implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly pruner = new BatchedPruner('Mail outbox', OutboxRetentionService.name);

  constructor(private readonly outbox: OutboxRepository) {}

  onApplicationBootstrap(): void {
    this.pruner.start(() => this.prune());
  }

  onApplicationShutdown(): void {
    this.pruner.stop();
  }

  /** Returns how many sent messages were deleted. */
  prune(): Promise<number> {
    return this.pruner.deleteInBatches((limit) => this.outbox.deleteSentBefore(SENT_MAIL_KEEP_DAYS, limit));
  }
}
