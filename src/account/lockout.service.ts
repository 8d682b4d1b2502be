import { Injectable } from '@nestjs/common';
import { SecurityLogService } from '../common/security-log.service';
import { AppConfig } from '../config/app-config';
import { InjectConfig } from '../config/config.module';
import { User } from '../database/entities/user.entity';
import { Transactions } from '../database/transactions';
import { AccountMailer } from './account-mailer.service';
import { lockDurationSeconds } from './lock-duration';
import { LockoutRepository } from './lockout.repository';

/**
 * Account lockout: ACCOUNT_LOCKOUT_MAX_FAILURES consecutive failures (wrong password at login, wrong
 * current password on change, wrong second factor, wrong password or code when turning it off) lock the account for a time that doubles with each
 * lock until a login succeeds. The state lives in the users row, so every instance shares it and a
 * restart keeps it. While locked, login answers as for a wrong password (LoginService asks isLocked).
 */
@Injectable()
export class LockoutService {
  constructor(
    private readonly lockouts: LockoutRepository,
    private readonly mailer: AccountMailer,
    private readonly transactions: Transactions,
    private readonly securityLog: SecurityLogService,
    @InjectConfig() private readonly config: AppConfig,
  ) {}

  isLocked(user: Pick<User, 'lockedUntil'>): boolean {
    return this.config.lockout.maxFailures > 0 && user.lockedUntil !== null && user.lockedUntil.getTime() > Date.now();
  }

  /**
   * Counts a failure of the account's owner credentials; at the limit, locks the account, logs
   * `account_locked` and e-mails the owner a reset link. Failures while locked are not counted.
   */
  async recordFailure(user: User, ip: string): Promise<void> {
    const { maxFailures } = this.config.lockout;
    if (maxFailures === 0) return;
    const counted = await this.lockouts.countFailure(user.id);
    if (!counted || counted.failures < maxFailures) return;
    const seconds = lockDurationSeconds(counted.locks, this.config.lockout);
    const lockedUntil = await this.transactions.run(async (tx) => {
      const until = await this.lockouts.lock(user.id, maxFailures, seconds, tx);
      if (until) await this.mailer.sendAccountLocked(user, until, tx);
      return until;
    });
    if (lockedUntil) {
      this.securityLog.log('account_locked', {
        ip,
        user_id: user.id,
        email: user.email,
        failures: maxFailures,
        lock_seconds: seconds,
        locked_until: lockedUntil.toISOString(),
      });
    }
  }

  /** A successful login: the failure count and the growth of the lock time start over. */
  recordSuccess(user: User): Promise<void> {
    return this.lockouts.clearFailures(user.id);
  }

  /** An admin ends the lock at once; false when the user does not exist. */
  async unlock(userId: string, actorId: string, ip: string): Promise<boolean> {
    if (!(await this.lockouts.unlock(userId))) return false;
    this.securityLog.log('account_unlocked', { ip, actor_id: actorId, target_id: userId });
    return true;
  }
}
