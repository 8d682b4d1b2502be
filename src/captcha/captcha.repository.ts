import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';

/** captcha_spent_challenges: the signatures of solved challenges, until they expire. */
@Injectable()
export class CaptchaRepository {
  constructor(@InjectDataSource() private readonly dataSource: DataSource) {}

  /** Records a challenge as spent; false when it already was (on any instance): the primary key decides. */
  async markSpent(signature: string, expiresAt: Date): Promise<boolean> {
    const rows: unknown[] = await this.dataSource.query(
      `INSERT INTO captcha_spent_challenges (signature, expires_at) VALUES ($1, $2)
       ON CONFLICT (signature) DO NOTHING
       RETURNING signature`,
      [signature, expiresAt],
    );
    return rows.length === 1;
  }

  /** Deletes up to `limit` records of challenges that have expired (and so are refused anyway). */
  async deleteExpired(limit: number): Promise<number> {
    const [rows] = await this.dataSource.query<[unknown[], number]>(
      `DELETE FROM captcha_spent_challenges
        WHERE signature IN (SELECT signature FROM captcha_spent_challenges WHERE expires_at < now() LIMIT $1)
        RETURNING signature`,
      [limit],
    );
    return rows.length;
  }
}
