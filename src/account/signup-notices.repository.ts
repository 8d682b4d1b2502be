import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, EntityManager } from 'typeorm';
import { User } from '../database/entities/user.entity';

/** signup_notice_queue and admin_notice_state: what the admins' next digest must name, and when the last went. */
@Injectable()
export class SignupNoticesRepository {
  constructor(@InjectDataSource() private readonly dataSource: DataSource) {}

  /** Queues a sign-up for the next digest, in the sign-up's transaction. */
  async queue(userId: string, tx: EntityManager): Promise<void> {
    await tx.query('INSERT INTO signup_notice_queue (user_id) VALUES ($1) ON CONFLICT DO NOTHING', [userId]);
  }

  /**
   * Runs `send` in a transaction holding the state row's lock, if a digest is due: something is queued and
   * no digest went out within the interval. An instance that finds the row locked by another skips (SKIP
   * LOCKED), and the other's commit makes the condition false for it: two instances never send one digest
   * twice. `send` returns whether it sent; only then is the time noted.
   */
  withDueDigest(intervalSeconds: number, send: (tx: EntityManager) => Promise<boolean>): Promise<void> {
    return this.dataSource.transaction(async (tx) => {
      const due: unknown[] = await tx.query(
        `SELECT 1 FROM admin_notice_state
          WHERE (last_digest_at IS NULL OR last_digest_at <= now() - make_interval(secs => $1))
            AND EXISTS (SELECT 1 FROM signup_notice_queue)
            FOR UPDATE SKIP LOCKED`,
        [intervalSeconds],
      );
      if (due.length === 0) return;
      await tx.query('DELETE FROM signup_notice_queue');
      if (await send(tx)) await tx.query('UPDATE admin_notice_state SET last_digest_at = now()');
    });
  }

  /** The sign-ups still waiting for approval, oldest first (at most `limit`), and how many there are. */
  async findPendingSignups(limit: number, tx: EntityManager): Promise<{ items: User[]; total: number }> {
    const [items, total] = await tx.getRepository(User).findAndCount({
      where: { status: 'pending' },
      order: { createdAt: 'ASC', id: 'ASC' },
      take: limit,
    });
    return { items, total };
  }

  /**
   * Deletes up to `limit` queued sign-ups that no longer wait for approval (activated or refused since).
   * A digest empties the queue, but with ADMIN_NOTIFY other than `digest` none runs to do so.
   */
  async deleteNoLongerPending(limit: number): Promise<number> {
    const [, affected]: [unknown[], number] = await this.dataSource.query(
      `DELETE FROM signup_notice_queue WHERE user_id IN (
         SELECT q.user_id FROM signup_notice_queue q JOIN users u ON u.id = q.user_id
          WHERE u.status <> 'pending' LIMIT $1)`,
      [limit],
    );
    return affected;
  }
}
