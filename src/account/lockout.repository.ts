import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, EntityManager } from 'typeorm';

/**
 * The lockout columns of users. Each change is one conditional UPDATE, so that concurrent failures on
 * several instances count exactly and only one of them locks the account. A successful login starts them
 * over in its own write of the row (UsersRepository.recordLogin).
 */
@Injectable()
export class LockoutRepository {
  constructor(@InjectDataSource() private readonly dataSource: DataSource) {}

  /**
   * Counts one failure of an account that is not locked now. Returns the new count and the locks so far,
   * or undefined when the account is locked (failures while locked do not count) or gone.
   */
  async countFailure(userId: string): Promise<{ failures: number; locks: number } | undefined> {
    const [rows]: [Array<{ failed_login_count: number; lockout_count: number }>, number] = await this.dataSource.query(
      `UPDATE users SET failed_login_count = failed_login_count + 1
          WHERE id = $1 AND (locked_until IS NULL OR locked_until <= now())
          RETURNING failed_login_count, lockout_count`,
      [userId],
    );
    const row = rows[0];
    return row ? { failures: row.failed_login_count, locks: row.lockout_count } : undefined;
  }

  /**
   * Locks the account for `seconds` if it still has at least `maxFailures` failures counted: of two
   * requests that both reached the limit, the first locks (and zeroes the count), the second finds nothing
   * to do. Returns the lock's end, or undefined when this call did not lock.
   */
  async lock(userId: string, maxFailures: number, seconds: number, tx: EntityManager): Promise<Date | undefined> {
    const [rows]: [Array<{ locked_until: Date }>, number] = await tx.query(
      `UPDATE users
          SET failed_login_count = 0, lockout_count = lockout_count + 1,
              locked_until = now() + make_interval(secs => $3)
        WHERE id = $1 AND failed_login_count >= $2
        RETURNING locked_until`,
      [userId, maxFailures, seconds],
    );
    return rows[0]?.locked_until;
  }

  /** Ends a lock and clears the counts, inside `tx`; returns false when the user does not exist. */
  async unlock(userId: string, tx: EntityManager): Promise<boolean> {
    const [, affected]: [unknown, number] = await tx.query(
      `UPDATE users SET failed_login_count = 0, lockout_count = 0, locked_until = NULL WHERE id = $1`,
      [userId],
    );
    return affected > 0;
  }
}
