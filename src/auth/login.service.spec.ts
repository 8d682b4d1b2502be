import { ForbiddenException, UnauthorizedException } from '@nestjs/common';
import { SecurityLogService } from '../common/security-log.service';
import { User } from '../database/entities/user.entity';
import { SecondFactorVerifier } from '../mfa/second-factor.verifier';
import { AccessTokenService } from './access-token.service';
import { LoginService } from './login.service';
import { hashPassword } from './password-hasher';
import { UsersRepository } from './users.repository';

describe('LoginService', () => {
  const log = jest.fn();
  const issue = jest.fn((user: User) =>
    Promise.resolve({ access_token: `token-of-${user.id}`, token_type: 'bearer' as const, expires_in: 900 }),
  );
  const users = new Map<string, User>();
  const service = new LoginService(
    {
      findByEmailWithPassword: (email: string) => Promise.resolve(users.get(email) ?? null),
      recordLogin: () => Promise.resolve(),
    } as unknown as UsersRepository,
    { issue } as unknown as AccessTokenService,
    { log } as unknown as SecurityLogService,
    { verify: (_userId: string, code: string) => Promise.resolve(code === '123456') } as SecondFactorVerifier,
  );
  const ip = '192.0.2.1';

  beforeAll(async () => {
    const hashedPassword = await hashPassword('Right1234');
    for (const [id, status, mfaEnabled] of [
      ['active-id', 'active', false],
      ['pending-id', 'pending', false],
      ['mfa-id', 'active', true],
    ] as const) {
      const email = mfaEnabled ? 'mfa@example.com' : `${status}@example.com`;
      users.set(email, Object.assign(new User(), { id, email, status, hashedPassword, mfaEnabled }));
    }
  });
  beforeEach(() => {
    log.mockClear();
    issue.mockClear();
  });

  it('issues a token for the right password of an active user, and logs the success', async () => {
    await expect(service.login({ email: 'active@example.com', password: 'Right1234' }, ip)).resolves.toMatchObject({
      access_token: 'token-of-active-id',
    });
    expect(log).toHaveBeenCalledWith('login_succeeded', { ip, email: 'active@example.com', user_id: 'active-id' });
  });

  it.each([
    ['an unknown e-mail', 'nobody@example.com', 'Right1234', 'unknown_email'],
    ['a wrong password', 'active@example.com', 'Wrong1234', 'wrong_password'],
    ['a wrong password of an inactive user', 'pending@example.com', 'Wrong1234', 'wrong_password'],
  ])('answers %s with the same 401 and logs why', async (_, email, password, reason) => {
    await expect(service.login({ email, password }, ip)).rejects.toEqual(
      new UnauthorizedException('Incorrect email or password'),
    );
    expect(log).toHaveBeenCalledWith('login_failed', { ip, email, reason });
    expect(issue).not.toHaveBeenCalled();
  });

  it('answers 403 Inactive user only after the right password', async () => {
    await expect(service.login({ email: 'pending@example.com', password: 'Right1234' }, ip)).rejects.toEqual(
      new ForbiddenException('Inactive user'),
    );
    expect(log).toHaveBeenCalledWith('login_inactive_user', {
      ip,
      email: 'pending@example.com',
      user_id: 'pending-id',
      status: 'pending',
    });
    expect(issue).not.toHaveBeenCalled();
  });

  it('asks an account with a second factor for it, refuses a wrong one (logged) and accepts the right one', async () => {
    const login = (otp?: string) => service.login({ email: 'mfa@example.com', password: 'Right1234', otp }, ip);
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
    expect(issue).not.toHaveBeenCalled();
    await expect(login('123456')).resolves.toMatchObject({ access_token: 'token-of-mfa-id' });
  });

  it('never asks for the second factor before the password is right', async () => {
    await expect(service.login({ email: 'mfa@example.com', password: 'Wrong1234' }, ip)).rejects.toEqual(
      new UnauthorizedException('Incorrect email or password'),
    );
  });
});
