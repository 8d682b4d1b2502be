import { AuditTrail } from '../audit/audit-trail.service';
import { SecurityLogService } from '../common/security-log.service';
import { AppConfig } from '../config/app-config';
import { User } from '../database/entities/user.entity';
import { Transactions } from '../database/transactions';
import { KnownDevicesRepository } from '../devices/known-devices.repository';
import { AccountMailer } from './account-mailer.service';
import { LockoutRepository } from './lockout.repository';
import { LockoutService } from './lockout.service';

describe('LockoutService', () => {
  const user = Object.assign(new User(), { id: 'user-id', email: 'u@example.com', lockedUntil: null });
  const lockedUntil = new Date(Date.now() + 60_000);
  let counted: { failures: number; locks: number } | undefined;
  /** The writes of an unlock, in the order made. */
  const writes: string[] = [];
  let userExists = true;
  const lockouts = {
    countFailure: jest.fn(() => Promise.resolve(counted)),
    lock: jest.fn((_id: string, _max: number, _seconds: number, _tx: unknown) => Promise.resolve(lockedUntil)),
    unlock: jest.fn((_id: string, _tx: unknown) => {
      writes.push('account');
      return Promise.resolve(userExists);
    }),
  };
  let deviceCounted: { failures: number; locks: number } | undefined;
  const devices = {
    countFailure: jest.fn(() => Promise.resolve(deviceCounted)),
    lock: jest.fn((_id: string, _max: number, _seconds: number) => Promise.resolve(lockedUntil)),
    unlockAllOfUser: jest.fn((_userId: string, _tx: unknown) => {
      writes.push('devices');
      return Promise.resolve();
    }),
  };
  const tx = {};
  const record = jest.fn(() => Promise.resolve());
  const auditTrail = { run: (work: (tx: unknown, record: unknown) => Promise<unknown>) => work(tx, record) };
  const device = {
    id: 'device-id',
    userId: 'user-id',
    lockedUntil: null,
    hasFailures: false,
    lastUsedAt: new Date(),
    lastIp: '192.0.2.1',
    userAgent: null,
  };
  const mailer = { sendAccountLocked: jest.fn(() => Promise.resolve()) };
  const log = jest.fn();
  const service = (maxFailures: number) =>
    new LockoutService(
      lockouts as unknown as LockoutRepository,
      mailer as unknown as AccountMailer,
      { run: (work: (tx: unknown) => Promise<unknown>) => work({}) } as unknown as Transactions,
      { log } as unknown as SecurityLogService,
      { lockout: { maxFailures, lockSeconds: 60, maxLockSeconds: 900, deviceCookieTtlSeconds: 86400 } } as AppConfig,
      auditTrail as unknown as AuditTrail,
      devices as unknown as KnownDevicesRepository,
    );

  beforeEach(() => {
    jest.clearAllMocks();
    counted = undefined;
    deviceCounted = undefined;
    writes.length = 0;
    userExists = true;
  });

  it('does nothing at all with ACCOUNT_LOCKOUT_MAX_FAILURES=0, and never calls an account locked', async () => {
    await service(0).recordFailure(user, '192.0.2.1');
    expect(lockouts.countFailure).not.toHaveBeenCalled();
    expect(service(0).isLocked({ lockedUntil })).toBe(false);
  });

  it('is locked only while locked_until is in the future', () => {
    expect(service(10).isLocked({ lockedUntil })).toBe(true);
    expect(service(10).isLocked({ lockedUntil: new Date(Date.now() - 1) })).toBe(false);
    expect(service(10).isLocked({ lockedUntil: null })).toBe(false);
  });

  it('counts below the limit without locking', async () => {
    counted = { failures: 9, locks: 0 };
    await service(10).recordFailure(user, '192.0.2.1');
    expect(lockouts.lock).not.toHaveBeenCalled();
  });

  it('at the limit locks for the grown time, e-mails the owner and logs account_locked', async () => {
    counted = { failures: 10, locks: 2 };
    await service(10).recordFailure(user, '192.0.2.1');
    expect(lockouts.lock).toHaveBeenCalledWith('user-id', 10, 240, expect.anything());
    expect(mailer.sendAccountLocked).toHaveBeenCalledWith(user, lockedUntil, expect.anything());
    expect(log).toHaveBeenCalledWith(
      'account_locked',
      expect.objectContaining({ user_id: 'user-id', lock_seconds: 240 }),
    );
  });

  it('sends and logs nothing when a concurrent failure locked the account first', async () => {
    counted = { failures: 11, locks: 0 };
    lockouts.lock.mockResolvedValueOnce(undefined as unknown as Date);
    await service(10).recordFailure(user, '192.0.2.1');
    expect(mailer.sendAccountLocked).not.toHaveBeenCalled();
    expect(log).not.toHaveBeenCalled();
  });

  it("holds a known device to its own lock, not the account's", () => {
    expect(service(10).isLocked({ lockedUntil }, { lockedUntil: null })).toBe(false);
    expect(service(10).isLocked({ lockedUntil: null }, { lockedUntil })).toBe(true);
    expect(service(0).isLocked({ lockedUntil: null }, { lockedUntil })).toBe(false);
  });

  it("counts a known device's failure on the device: at the limit it alone locks, logged, with no e-mail", async () => {
    deviceCounted = { failures: 9, locks: 0 };
    await service(10).recordFailure(user, '192.0.2.1', device);
    expect(devices.countFailure).toHaveBeenCalledWith('device-id');
    expect(devices.lock).not.toHaveBeenCalled();
    deviceCounted = { failures: 10, locks: 1 };
    await service(10).recordFailure(user, '192.0.2.1', device);
    expect(devices.lock).toHaveBeenCalledWith('device-id', 10, 120);
    expect(log).toHaveBeenCalledWith(
      'device_locked',
      expect.objectContaining({ user_id: 'user-id', device_id: 'device-id', lock_seconds: 120 }),
    );
    expect(lockouts.countFailure).not.toHaveBeenCalled();
    expect(lockouts.lock).not.toHaveBeenCalled();
    expect(mailer.sendAccountLocked).not.toHaveBeenCalled();
  });

  it("starts the account's count over after a login without a known device only", () => {
    expect(service(10).loginRecordOf(device).startFailuresOver).toBe(false);
    expect(service(10).loginRecordOf(undefined).startFailuresOver).toBe(true);
  });

  it('has the sign-in refused, as it writes, by the lock isLocked holds it to: none when lockout is off', () => {
    expect(service(10).loginRecordOf(undefined).refusedWhileLocked).toBe('account');
    expect(service(10).loginRecordOf(device).refusedWhileLocked).toEqual({ deviceId: 'device-id' });
    expect(service(0).loginRecordOf(undefined).refusedWhileLocked).toBeUndefined();
    expect(service(0).loginRecordOf(device).refusedWhileLocked).toBeUndefined();
  });

  it("ends the devices' locks before the account's, in the order a sign-in writes them, audited in one transaction", async () => {
    await expect(service(10).unlock('user-id', 'admin-id', '192.0.2.9')).resolves.toBe(true);
    expect(writes).toEqual(['devices', 'account']);
    expect(devices.unlockAllOfUser).toHaveBeenCalledWith('user-id', tx);
    expect(lockouts.unlock).toHaveBeenCalledWith('user-id', tx);
    expect(record).toHaveBeenCalledWith('account_unlocked', {
      ip: '192.0.2.9',
      actor_id: 'admin-id',
      target_id: 'user-id',
    });
  });

  it('answers false and audits nothing for a user that does not exist', async () => {
    userExists = false;
    await expect(service(10).unlock('user-id', 'admin-id', '192.0.2.9')).resolves.toBe(false);
    expect(record).not.toHaveBeenCalled();
  });
});
