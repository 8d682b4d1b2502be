import { Logger } from '@nestjs/common';
import { errorMessage } from './error-message';

/** Rows per DELETE: each batch is one short statement, so the table's other users never wait long behind it. */
export const PRUNE_BATCH_SIZE = 1000;
/** Between two passes. */
export const PRUNE_INTERVAL_MS = 3_600_000;

/**
 * The clean-up loop every table of rows that outlive their use shares: a pass at start and then every
 * interval, each pass deleting batch after batch until a batch comes back short or the application shuts
 * down. A failed pass is logged as a warning; the next one tries again.
 */
export class BatchedPruner {
  private readonly logger: Logger;
  private timer?: NodeJS.Timeout;
  private stopping = false;

  /** `what` names the rows in the warning of a failed pass ("Audit" → "Audit pruning failed: …"). */
  constructor(
    private readonly what: string,
    context: string,
  ) {
    this.logger = new Logger(context);
  }

  /** Runs `pass` now and every `intervalMs`, until stop(). */
  start(pass: () => Promise<unknown>, intervalMs = PRUNE_INTERVAL_MS): void {
    const run = () =>
      void pass().catch((error: unknown) => {
        this.logger.warn(`${this.what} pruning failed: ${errorMessage(error)}`);
      });
    run();
    this.timer = setInterval(run, intervalMs);
  }

  /** No further pass starts, and a running one ends after its current batch. */
  stop(): void {
    this.stopping = true;
    clearInterval(this.timer);
  }

  /** Calls `deleteBatch` (which deletes at most `limit` rows and says how many) until it deletes fewer. */
  async deleteInBatches(
    deleteBatch: (limit: number) => Promise<number>,
    batchSize = PRUNE_BATCH_SIZE,
  ): Promise<number> {
    let total = 0;
    for (;;) {
      const deleted = await deleteBatch(batchSize);
      total += deleted;
      if (deleted < batchSize || this.stopping) return total;
    }
  }
}
