import { ForbiddenException, UnauthorizedException } from '@nestjs/common';
import { LockoutService } from '../account/lockout.service';
import { SecurityLogService } from '../common/security-log.service';
import { AppConfig, EmailVerificationMode } from '../config/app-config';
import { EntityManager } from 'typeorm';
import { User } from '../database/entities/user.entity';
import { Transactions } from '../database/transactions';
import { KnownDevice } from '../devices/known-devices.repository';
import { KnownDevicesService } from '../devices/known-devices.service';
import { SecondFactorVerifier } from '../mfa/second-factor.verifier';
import { SessionsService } from '../sessions/sessions.service';
import { AccessTokenService } from './access-token.service';
import { LoginService } from './login.service';
import { hashPassword } from './password-hasher';
import { LoginRecord, UsersRepository } from './users.repository';

describe('LoginService', () => {
  const ip = '192.0.2.1';
  const log = jest.fn();
  const issue = jest.fn((userId: string, session: { id: string }) => ({
    access_token: `token-of-${userId}-in-${session.id}`,
    token_type: 'bearer' as const,
    expires_in: 900,
    refresh_token: 'refresh',
    refresh_expires_in: 1209600,
  }));
  const open = jest.fn((userId: string) =>
    Promise.resolve({ id: `session-of-${userId}`, refreshToken: 'refresh', expiresAt: new Date() }),
  );
  const users = new Map<string, User>();
  const lockout = {
    isLocked: (user: User, device?: KnownDevice) => (device ?? user).lockedUntil !== null,
    recordFailure: jest.fn(() => Promise.resolve()),
    loginRecordOf: (device: KnownDevice | undefined): LoginRecord => ({
      startFailuresOver: device === undefined,
      refusedWhileLocked: device ? { deviceId: device.id } : 'account',
    }),
  };
  /** Writes the user's row unless told the lock landed meanwhile (mockResolvedValueOnce(false)). */
  const recordLogin = jest.fn((_id: string, _record: LoginRecord, _tx: EntityManager) => Promise.resolve(true));
  const lastUsedAt = new Date();
  /** A known device of the user, as the login's query finds it. */
  const deviceOf = (userId: string, lockedUntil: Date | null = null): KnownDevice => ({
    id: 'device-id',
    userId,
    lockedUntil,
    hasFailures: false,
    lastUsedAt,
    lastIp: ip,
    userAgent: null,
  });
  /** The fake cookie `device-of-<user id>` names a known device of that user; `locked-device-of-…` a locked one. */
  const knownDevices = {
    lookupOf: (cookie: string | undefined) => (cookie === undefined ? undefined : { cookie }),
    rememberSignIn: jest.fn((user: User) =>
      Promise.resolve({ deviceId: `device-of-${user.id}`, cookie: `cookie-of-${user.id}` }),
    ),
    logNewDevice: jest.fn(),
  };
  const config = { accountEmail: { verification: 'optional' as EmailVerificationMode } };
  /** The sign-in's writes run in one transaction: the fakes get this handle. */
  const tx = { transaction: 'of the sign-in' } as unknown as EntityManager;
  const transactions = { run: jest.fn((work: (handle: EntityManager) => Promise<unknown>) => work(tx)) };
  const service = new LoginService(
    {
      findForLogin: (email: string, lookup: { cookie: string } | undefined) => {
        const user = users.get(email) ?? null;
        const cookie = lookup?.cookie;
        const device =
          user && cookie === `device-of-${user.id}`
            ? deviceOf(user.id)
            : user && cookie === `locked-device-of-${user.id}`
              ? deviceOf(user.id, new Date(Date.now() + 60_000))
              : undefined;
        return Promise.resolve({ user, device });
      },
      recordLogin,
    } as unknown as UsersRepository,
    { issue } as unknown as AccessTokenService,
    { log } as unknown as SecurityLogService,
    { open } as unknown as SessionsService,
    lockout as unknown as LockoutService,
    config as unknown as AppConfig,
    { verify: (_userId: string, code: string) => Promise.resolve(code === '123456') } as SecondFactorVerifier,
    knownDevices as unknown as KnownDevicesService,
    transactions as unknown as Transactions,
  );

  beforeAll(async () => {
    const hashedPassword = await hashPassword('Right1234');
    for (const [id, status, lockedUntil, emailVerified, mfaEnabled] of [
      ['active', 'active', null, true, false],
      ['pending', 'pending', null, true, false],
      ['locked', 'active', new Date(Date.now() + 60_000), true, false],
      ['unverified', 'active', null, false, false],
      ['mfa', 'active', null, true, true],
    ] as const) {
      users.set(
        `${id}@example.com`,
        Object.assign(new User(), {
          id: `${id}-id`,
          email: `${id}@example.com`,
          status,
          hashedPassword,
          lockedUntil,
          emailVerified,
          mfaEnabled,
        }),
      );
    }
  });
  beforeEach(() => {
    log.mockClear();
    issue.mockClear();
    open.mockClear();
    lockout.recordFailure.mockClear();
    recordLogin.mockClear();
    knownDevices.rememberSignIn.mockClear();
    knownDevices.logNewDevice.mockClear();
    config.accountEmail.verification = 'optional';
  });

  it('logs a sign-in only once its transaction has committed: a failed commit is no success', async () => {
    transactions.run.mockImplementationOnce(async (work) => {
      await work(tx);
      throw new Error('the commit failed');
    });
    await expect(service.login({ email: 'active@example.com', password: 'Right1234' }, { ip })).rejects.toThrow(
      'the commit failed',
    );
    expect(log).not.toHaveBeenCalledWith('login_succeeded', expect.anything());
    expect(knownDevices.logNewDevice).not.toHaveBeenCalled();
    expect(issue).not.toHaveBeenCalled();

    await service.login({ email: 'active@example.com', password: 'Right1234' }, { ip });
    expect(log).toHaveBeenCalledWith('login_succeeded', expect.objectContaining({ user_id: 'active-id' }));
    expect(knownDevices.logNewDevice).toHaveBeenCalledWith(
      expect.objectContaining({ id: 'active-id' }),
      { deviceId: 'device-of-active-id', cookie: 'cookie-of-active-id' },
      ip,
    );
  });

  it('opens a session for the right password of an active user, and logs the success', async () => {
    await expect(
      service.login({ email: 'active@example.com', password: 'Right1234' }, { ip, userAgent: 'curl/8' }),
    ).resolves.toMatchObject({
      tokens: { access_token: 'token-of-active-id-in-session-of-active-id' },
      deviceCookie: 'cookie-of-active-id',
    });
    expect(open).toHaveBeenCalledWith('active-id', { ip, userAgent: 'curl/8' }, 'device-of-active-id', tx);
    expect(log).toHaveBeenCalledWith('login_succeeded', { ip, email: 'active@example.com', user_id: 'active-id' });
    // No known device: the account's failure count starts over, in the login's own write.
    expect(recordLogin).toHaveBeenCalledWith(
      'active-id',
      { startFailuresOver: true, refusedWhileLocked: 'account' },
      tx,
    );
  });

  it('counts a wrong password toward the lockout, and an unknown e-mail toward nothing', async () => {
    await expect(service.login({ email: 'active@example.com', password: 'Wrong1234' }, { ip })).rejects.toThrow();
    expect(lockout.recordFailure).toHaveBeenCalledWith(users.get('active@example.com'), ip, undefined);
    lockout.recordFailure.mockClear();
    await expect(service.login({ email: 'nobody@example.com', password: 'Wrong1234' }, { ip })).rejects.toThrow();
    expect(lockout.recordFailure).not.toHaveBeenCalled();
  });

  it('answers a locked account as a wrong password even with the right one, and issues nothing', async () => {
    await expect(service.login({ email: 'locked@example.com', password: 'Right1234' }, { ip })).rejects.toEqual(
      new UnauthorizedException('Incorrect email or password'),
    );
    expect(log).toHaveBeenCalledWith('login_failed', { ip, email: 'locked@example.com', reason: 'account_locked' });
    expect(lockout.recordFailure).not.toHaveBeenCalled();
    expect(recordLogin).not.toHaveBeenCalled();
    expect(issue).not.toHaveBeenCalled();
  });

  it.each([
    ['the account', undefined, 'account_locked', {}],
    ['a known device', 'device-of-active-id', 'device_locked', { device_id: 'device-id' }],
  ])(
    'answers as a lock when %s got locked while the password was verified: the sign-in is rolled back, unlogged',
    async (_, deviceCookie, reason, deviceFields) => {
      recordLogin.mockResolvedValueOnce(false);
      await expect(
        service.login({ email: 'active@example.com', password: 'Right1234' }, { ip, deviceCookie }),
      ).rejects.toEqual(new UnauthorizedException('Incorrect email or password'));
      expect(log).toHaveBeenCalledWith('login_failed', { ip, email: 'active@example.com', reason, ...deviceFields });
      expect(log).not.toHaveBeenCalledWith('login_succeeded', expect.anything());
      expect(knownDevices.logNewDevice).not.toHaveBeenCalled();
      expect(lockout.recordFailure).not.toHaveBeenCalled();
      expect(issue).not.toHaveBeenCalled();
    },
  );

  it('with EMAIL_VERIFICATION=required answers 403 Email not verified, only after the right password', async () => {
    config.accountEmail.verification = 'required';
    await expect(service.login({ email: 'unverified@example.com', password: 'Wrong1234' }, { ip })).rejects.toEqual(
      new UnauthorizedException('Incorrect email or password'),
    );
    await expect(service.login({ email: 'unverified@example.com', password: 'Right1234' }, { ip })).rejects.toEqual(
      new ForbiddenException('Email not verified'),
    );
    expect(issue).not.toHaveBeenCalled();
    config.accountEmail.verification = 'optional';
    await expect(
      service.login({ email: 'unverified@example.com', password: 'Right1234' }, { ip }),
    ).resolves.toBeDefined();
  });

  it.each([
    ['an unknown e-mail', 'nobody@example.com', 'Right1234', 'unknown_email'],
    ['a wrong password', 'active@example.com', 'Wrong1234', 'wrong_password'],
    ['a wrong password of an inactive user', 'pending@example.com', 'Wrong1234', 'wrong_password'],
  ])('answers %s with the same 401 and logs why', async (_, email, password, reason) => {
    await expect(service.login({ email, password }, { ip })).rejects.toEqual(
      new UnauthorizedException('Incorrect email or password'),
    );
    expect(log).toHaveBeenCalledWith('login_failed', { ip, email, reason });
    expect(issue).not.toHaveBeenCalled();
    expect(open).not.toHaveBeenCalled();
  });

  it('answers 403 Inactive user only after the right password', async () => {
    await expect(service.login({ email: 'pending@example.com', password: 'Right1234' }, { ip })).rejects.toEqual(
      new ForbiddenException('Inactive user'),
    );
    expect(log).toHaveBeenCalledWith('login_inactive_user', {
      ip,
      email: 'pending@example.com',
      user_id: 'pending-id',
      status: 'pending',
    });
    expect(issue).not.toHaveBeenCalled();
    expect(open).not.toHaveBeenCalled();
  });

  it('asks an account with a second factor for it, refuses a wrong one (logged, counted toward the lockout) and accepts the right one', async () => {
    const login = (otp?: string) => service.login({ email: 'mfa@example.com', password: 'Right1234', otp }, { ip });
    await expect(login()).rejects.toEqual(
      new UnauthorizedException({ message: 'Second factor required', mfa_required: true }),
    );
    await expect(login('654321')).rejects.toEqual(new UnauthorizedException('Invalid second factor'));
    expect(log).toHaveBeenCalledWith('login_failed', {
      ip,
      email: 'mfa@example.com',
      user_id: 'mfa-id',
      reason: 'wrong_second_factor',
    });
    expect(lockout.recordFailure).toHaveBeenCalledTimes(1);
    expect(lockout.recordFailure).toHaveBeenCalledWith(users.get('mfa@example.com'), ip, undefined);
    expect(issue).not.toHaveBeenCalled();
    await expect(login('123456')).resolves.toMatchObject({
      tokens: { access_token: 'token-of-mfa-id-in-session-of-mfa-id' },
    });
  });

  it('never asks for the second factor before the password is right', async () => {
    await expect(service.login({ email: 'mfa@example.com', password: 'Wrong1234' }, { ip })).rejects.toEqual(
      new UnauthorizedException('Incorrect email or password'),
    );
  });

  it('remembers the sign-in: a new device without a cookie, the known device with one', async () => {
    await service.login({ email: 'active@example.com', password: 'Right1234' }, { ip, userAgent: 'curl/8' });
    expect(knownDevices.rememberSignIn).toHaveBeenLastCalledWith(
      expect.objectContaining({ id: 'active-id', email: 'active@example.com' }),
      undefined,
      { ip, userAgent: 'curl/8' },
      tx,
    );
    await service.login(
      { email: 'active@example.com', password: 'Right1234' },
      { ip, deviceCookie: 'device-of-active-id' },
    );
    expect(knownDevices.rememberSignIn).toHaveBeenLastCalledWith(
      expect.objectContaining({ id: 'active-id' }),
      deviceOf('active-id'),
      { ip, userAgent: undefined },
      tx,
    );
    expect(log).toHaveBeenCalledWith('login_succeeded', {
      ip,
      email: 'active@example.com',
      user_id: 'active-id',
      device_id: 'device-id',
    });
  });

  it('lets a known device of a locked account in, and counts its failures on the device', async () => {
    const device = deviceOf('locked-id');
    await expect(
      service.login(
        { email: 'locked@example.com', password: 'Right1234' },
        { ip, deviceCookie: 'device-of-locked-id' },
      ),
    ).resolves.toMatchObject({ tokens: { access_token: 'token-of-locked-id-in-session-of-locked-id' } });
    await expect(
      service.login(
        { email: 'locked@example.com', password: 'Wrong1234' },
        { ip, deviceCookie: 'device-of-locked-id' },
      ),
    ).rejects.toEqual(new UnauthorizedException('Incorrect email or password'));
    expect(lockout.recordFailure).toHaveBeenCalledWith(users.get('locked@example.com'), ip, device);
    // The owner's success from a known device leaves the account's count (strangers' guesses) as it is.
    expect(recordLogin).toHaveBeenCalledWith(
      'locked-id',
      { startFailuresOver: false, refusedWhileLocked: { deviceId: 'device-id' } },
      tx,
    );
  });

  it("answers a locked device as a wrong password even with the right one, whatever the account's state", async () => {
    await expect(
      service.login(
        { email: 'active@example.com', password: 'Right1234' },
        { ip, deviceCookie: 'locked-device-of-active-id' },
      ),
    ).rejects.toEqual(new UnauthorizedException('Incorrect email or password'));
    expect(log).toHaveBeenCalledWith('login_failed', {
      ip,
      email: 'active@example.com',
      reason: 'device_locked',
      device_id: 'device-id',
    });
    expect(issue).not.toHaveBeenCalled();
  });
});
