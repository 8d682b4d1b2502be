import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, EntityManager } from 'typeorm';
import { EmailTokenKind } from './email-token';

/** The email_tokens table: single-use tokens, by their SHA-256 only. */
@Injectable()
export class EmailTokensRepository {
  constructor(@InjectDataSource() private readonly dataSource: DataSource) {}

  /**
   * Stores a token for the user; when `supersede`, the user's earlier unused tokens of that kind are spent
   * first, so that only the newest link works.
   */
  async insertToken(
    kind: EmailTokenKind,
    userId: string,
    hash: Buffer,
    ttlSeconds: number,
    supersede: boolean,
    tx: EntityManager,
  ): Promise<void> {
    if (supersede) await this.spendAllUnused(kind, userId, tx);
    await tx.query(
      `INSERT INTO email_tokens (user_id, kind, token_hash, expires_at)
       VALUES ($1, $2, $3, now() + make_interval(secs => $4))`,
      [userId, kind, hash, ttlSeconds],
    );
  }

  /** Spends every unused token of this kind of the user: none of their links works any more. */
  async spendAllUnused(kind: EmailTokenKind, userId: string, tx: EntityManager): Promise<void> {
    await tx.query(`UPDATE email_tokens SET used_at = now() WHERE user_id = $1 AND kind = $2 AND used_at IS NULL`, [
      userId,
      kind,
    ]);
  }

  /**
   * Spends the token if it is of this kind, unused and unexpired, and returns its user's id; in one
   * statement, so that of two requests racing with one token exactly one gets the id.
   */
  async consume(kind: EmailTokenKind, hash: Buffer, tx?: EntityManager): Promise<string | undefined> {
    const [rows]: [Array<{ user_id: string }>, number] = await (tx ?? this.dataSource.manager).query(
      `UPDATE email_tokens SET used_at = now()
        WHERE token_hash = $1 AND kind = $2 AND used_at IS NULL AND expires_at > now()
        RETURNING user_id`,
      [hash, kind],
    );
    return rows[0]?.user_id;
  }

  /** Deletes up to `limit` tokens that were spent or have expired (no link can use them any more). */
  async deleteSpentOrExpired(limit: number): Promise<number> {
    const [, affected]: [unknown[], number] = await this.dataSource.query(
      `DELETE FROM email_tokens WHERE id IN (
         SELECT id FROM email_tokens WHERE used_at IS NOT NULL OR expires_at <= now() LIMIT $1)`,
      [limit],
    );
    return affected;
  }
}
