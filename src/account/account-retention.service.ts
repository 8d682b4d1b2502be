import { Injectable, OnApplicationBootstrap, OnApplicationShutdown } from '@nestjs/common';
import { BatchedPruner } from '../common/batched-pruner';
import { EmailTokensRepository } from './email-tokens.repository';
import { SignupNoticesRepository } from './signup-notices.repository';

/**
 * Deletes, at start and hourly, in small batches, the account rows that have served: e-mail tokens spent
 * or expired (a link with one is refused exactly as an unknown one), and queued sign-up notices of users
 * no longer pending. The requests for a link (account_email_requests) need no pruning: each is deleted in
 * the transaction that handles it.
 */
@Injectable()
export class AccountRetentionService implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly pruner = new BatchedPruner('Account', AccountRetentionService.name);

  constructor(
    private readonly tokens: EmailTokensRepository,
    private readonly notices: SignupNoticesRepository,
  ) {}

  onApplicationBootstrap(): void {
    this.pruner.start(() => this.prune());
  }

  onApplicationShutdown(): void {
    this.pruner.stop();
  }

  /** Returns how many rows of each table were deleted. */
  async prune(): Promise<{ emailTokens: number; signupNotices: number }> {
    const emailTokens = await this.pruner.deleteInBatches((limit) => this.tokens.deleteSpentOrExpired(limit));
    const signupNotices = await this.pruner.deleteInBatches((limit) => this.notices.deleteNoLongerPending(limit));
    return { emailTokens, signupNotices };
  }
}
