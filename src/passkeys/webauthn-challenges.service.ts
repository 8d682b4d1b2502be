import { Injectable, OnApplicationBootstrap, OnApplicationShutdown } from '@nestjs/common';
import { BatchedPruner } from '../common/batched-pruner';
import { ChallengePurpose, WebauthnChallengesRepository } from './webauthn-challenges.repository';

/** How long the browser may take to answer a challenge; the options' `timeout` says the same. */
export const CHALLENGE_TTL_SECONDS = 120;

/** Longer than any challenge handed out (32 random bytes, base64url): never looked up. */
const MAX_CHALLENGE_LENGTH = 128;

/**
 * The challenges of WebAuthn ceremonies: stored when handed out (with the user for a registration), usable
 * once and for CHALLENGE_TTL_SECONDS; expired ones are deleted at start and hourly.
 */
@Injectable()
export class WebauthnChallenges implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly pruner = new BatchedPruner('WebAuthn challenge', WebauthnChallenges.name);

  constructor(private readonly challenges: WebauthnChallengesRepository) {}

  onApplicationBootstrap(): void {
    this.pruner.start(() => this.pruneExpired());
  }

  onApplicationShutdown(): void {
    this.pruner.stop();
  }

  async remember(challenge: string, purpose: ChallengePurpose, userId: string | null): Promise<void> {
    await this.challenges.insert(challenge, purpose, userId, new Date(Date.now() + CHALLENGE_TTL_SECONDS * 1000));
  }

  /** Whether the challenge was handed out for this purpose (and user) and is still unused and unexpired; spends it. */
  async consume(challenge: string, purpose: ChallengePurpose, userId: string | null): Promise<boolean> {
    if (challenge.length > MAX_CHALLENGE_LENGTH) return false;
    return this.challenges.consume(challenge, purpose, userId);
  }

  /** Returns how many challenges were deleted. */
  pruneExpired(): Promise<number> {
    return this.pruner.deleteInBatches((limit) => this.challenges.deleteExpired(limit));
  }
}
