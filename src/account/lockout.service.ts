import { Injectable } from '@nestjs/common';
import { AuditTrail } from '../audit/audit-trail.service';
import { EntityManager } from 'typeorm';
import { SecurityLogService } from '../common/security-log.service';
import { AppConfig } from '../config/app-config';
import { InjectConfig } from '../config/config.module';
import { LoginRecord } from '../auth/users.repository';
import { User } from '../database/entities/user.entity';
import { Transactions } from '../database/transactions';
import { KnownDevice, KnownDevicesRepository } from '../devices/known-devices.repository';
import { AccountMailer } from './account-mailer.service';
import { lockDurationSeconds } from './lock-duration';
import { LockoutRepository } from './lockout.repository';

/**
 * Account lockout: ACCOUNT_LOCKOUT_MAX_FAILURES consecutive failures (wrong password at login, wrong
 * current password on change, wrong second factor, wrong password or code when turning it off) lock the
 * account for a time that doubles with each lock until a login succeeds. The state lives in the users row, so every instance shares it and a
 * restart keeps it. While locked, login answers as for a wrong password (LoginService asks isLocked, and the
 * sign-in's write of the users row asks again: loginRecordOf).
 *
 * A login from a known device of the account (one that signed in to it before: src/devices) is exempt
 * from the account's lock, so that a stranger's failures cannot lock the owner out; its own failures count
 * on that device alone, with the same limit and lock times, and lock only it.
 */
@Injectable()
export class LockoutService {
  constructor(
    private readonly lockouts: LockoutRepository,
    private readonly mailer: AccountMailer,
    private readonly transactions: Transactions,
    private readonly securityLog: SecurityLogService,
    @InjectConfig() private readonly config: AppConfig,
    private readonly auditTrail: AuditTrail,
    private readonly devices: KnownDevicesRepository,
  ) {}

  /** Whether a login of the user is refused for a lock: the device's own from a known device, else the account's. */
  isLocked(user: Pick<User, 'lockedUntil'>, device?: Pick<KnownDevice, 'lockedUntil'>): boolean {
    const { lockedUntil } = device ?? user;
    return this.config.lockout.maxFailures > 0 && lockedUntil !== null && lockedUntil.getTime() > Date.now();
  }

  /**
   * Counts a failure of the account's owner credentials; at the limit, locks the account, logs
   * `account_locked` and e-mails the owner a reset link. Failures while locked are not counted. A failure
   * from a known device of the account counts on that device instead.
   */
  async recordFailure(user: User, ip: string, device?: KnownDevice): Promise<void> {
    const { maxFailures } = this.config.lockout;
    if (maxFailures === 0) return;
    if (device) return this.recordDeviceFailure(user, device, ip);
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

  /**
   * At the limit the device alone is locked, logged as `device_locked`; no e-mail: the owner is at that
   * device, or let someone else use it, and the account stays open to its other devices.
   */
  private async recordDeviceFailure(user: User, device: KnownDevice, ip: string): Promise<void> {
    const { maxFailures } = this.config.lockout;
    const counted = await this.devices.countFailure(device.id);
    if (!counted || counted.failures < maxFailures) return;
    const seconds = lockDurationSeconds(counted.locks, this.config.lockout);
    const lockedUntil = await this.devices.lock(device.id, maxFailures, seconds);
    if (lockedUntil) {
      this.securityLog.log('device_locked', {
        ip,
        user_id: user.id,
        email: user.email,
        device_id: device.id,
        failures: maxFailures,
        lock_seconds: seconds,
        locked_until: lockedUntil.toISOString(),
      });
    }
  }

  /**
   * What a successful sign-in writes to the user's row (UsersRepository.recordLogin). The account's failure
   * count and lock-time growth start over if it was held to them, the account's, or else a known device's
   * (those start over as KnownDevicesService remembers the sign-in): the owner signing in from a known device
   * says nothing about strangers' guesses, so the account's count and any lock in force stay as they are.
   *
   * And the lock it was held to, the same as isLocked's, is checked again in that write, the sign-in's last:
   * the login read the account and device before the password (or passkey) was verified, and a lock that
   * landed since, from concurrent guesses, still refuses it.
   */
  loginRecordOf(device: KnownDevice | undefined): LoginRecord {
    const refusedWhileLocked =
      this.config.lockout.maxFailures === 0 ? undefined : device ? { deviceId: device.id } : 'account';
    return { startFailuresOver: device === undefined, refusedWhileLocked };
  }

  /**
   * An admin ends the lock at once, the account's and its devices', audited in the same transaction; false
   * when the user does not exist.
   */
  unlock(userId: string, actorId: string, ip: string): Promise<boolean> {
    return this.auditTrail.run(async (tx, record) => {
      // The devices before the account's row: a sign-in writes them in that order (KnownDevicesRepository's
      // lock order), and the other way round the two could deadlock. A user that does not exist has no devices.
      await this.devices.unlockAllOfUser(userId, tx);
      if (!(await this.lockouts.unlock(userId, tx))) return false;
      await record('account_unlocked', { ip, actor_id: actorId, target_id: userId });
      return true;
    });
  }

  /**
   * A password reset ends the locks of the account's devices (the account's own ends with the new password),
   * before it writes the account's row (KnownDevicesRepository's lock order).
   */
  endDeviceLocks(userId: string, tx: EntityManager): Promise<void> {
    return this.devices.unlockAllOfUser(userId, tx);
  }
}
