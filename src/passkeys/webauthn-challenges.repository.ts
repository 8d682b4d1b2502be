import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';

/** What a challenge was handed out for: adding a passkey to an account, or signing in with one. */
export type ChallengePurpose = 'registration' | 'sign_in';

/** The webauthn_challenges table: challenges live in the database so that any instance can check an answer. */
@Injectable()
export class WebauthnChallengesRepository {
  constructor(@InjectDataSource() private readonly dataSource: DataSource) {}

  async insert(challenge: string, purpose: ChallengePurpose, userId: string | null, expiresAt: Date): Promise<void> {
    await this.dataSource.query(
      `INSERT INTO webauthn_challenges (challenge, purpose, user_id, expires_at) VALUES ($1, $2, $3, $4)`,
      [challenge, purpose, userId, expiresAt],
    );
  }

  /**
   * Deletes the challenge if it was handed out for this purpose (and user) and has not expired; whether it
   * was. One statement: of two requests presenting it at once, on any instances, only one gets true.
   */
  async consume(challenge: string, purpose: ChallengePurpose, userId: string | null): Promise<boolean> {
    const [, affected]: [unknown[], number] = await this.dataSource.query(
      `DELETE FROM webauthn_challenges
        WHERE challenge = $1 AND purpose = $2 AND user_id IS NOT DISTINCT FROM $3 AND expires_at > now()`,
      [challenge, purpose, userId],
    );
    return affected === 1;
  }

  /** Deletes up to `limit` expired challenges; returns how many. */
  async deleteExpired(limit: number): Promise<number> {
    const [, affected]: [unknown[], number] = await this.dataSource.query(
      `DELETE FROM webauthn_challenges WHERE challenge IN (
         SELECT challenge FROM webauthn_challenges WHERE expires_at <= now() LIMIT $1)`,
      [limit],
    );
    return affected;
  }
}
