import { ForbiddenException, UnauthorizedException } from '@nestjs/common';
import { SecurityLogService } from '../common/security-log.service';
import { User } from '../database/entities/user.entity';
import { SessionsService } from '../sessions/sessions.service';
import { AccessTokenService } from './access-token.service';
import { LoginService } from './login.service';
import { hashPassword } from './password-hasher';
import { UsersRepository } from './users.repository';

describe('LoginService', () => {
  const log = jest.fn();
  const issue = jest.fn((userId: string, session: { id: string }) =>
    Promise.resolve({
      access_token: `token-of-${userId}-in-${session.id}`,
      token_type: 'bearer' as const,
      expires_in: 900,
      refresh_token: 'refresh',
      refresh_expires_in: 1209600,
    }),
  );
  const open = jest.fn((userId: string) =>
    Promise.resolve({ id: `session-of-${userId}`, refreshToken: 'refresh', expiresAt: new Date() }),
  );
  const users = new Map<string, User>();
  const service = new LoginService(
    {
      findByEmailWithPassword: (email: string) => Promise.resolve(users.get(email) ?? null),
      recordLogin: () => Promise.resolve(),
    } as unknown as UsersRepository,
    { issue } as unknown as AccessTokenService,
    { log } as unknown as SecurityLogService,
    { open } as unknown as SessionsService,
  );
  const ip = '192.0.2.1';

  beforeAll(async () => {
    const hashedPassword = await hashPassword('Right1234');
    for (const [id, status] of [
      ['active-id', 'active'],
      ['pending-id', 'pending'],
    ] as const) {
      users.set(
        `${status}@example.com`,
        Object.assign(new User(), { id, email: `${status}@example.com`, status, hashedPassword }),
      );
    }
  });
  beforeEach(() => {
    log.mockClear();
    issue.mockClear();
    open.mockClear();
  });

  it('opens a session for the right password of an active user, and logs the success', async () => {
    await expect(
      service.login({ email: 'active@example.com', password: 'Right1234' }, ip, 'curl/8'),
    ).resolves.toMatchObject({ access_token: 'token-of-active-id-in-session-of-active-id' });
    expect(open).toHaveBeenCalledWith('active-id', { ip, userAgent: 'curl/8' });
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
    expect(open).not.toHaveBeenCalled();
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
    expect(open).not.toHaveBeenCalled();
  });
});
