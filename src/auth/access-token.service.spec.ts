import { UnauthorizedException } from '@nestjs/common';
import { JwtService } from '@nestjs/jwt';
import { AppConfig } from '../config/app-config';
import { User } from '../database/entities/user.entity';
import { ActiveSession } from '../sessions/sessions.repository';
import { AccessTokenService, sessionIdFromClaims, userIdFromClaims } from './access-token.service';
import { AuthStateCache } from './auth-state/auth-state-cache.service';

const SECRET = 'unit-test-secret-that-is-at-least-32-characters';
const USER_ID = '0b5e4a52-55a1-4a2b-9d57-7d0c1f1f2a10';
const SESSION_ID = '6f1d8a3e-2c4b-4e5f-8a9b-0c1d2e3f4a5b';
const OTHER_USER_ID = '9a8b7c6d-5e4f-4a3b-8c2d-1e0f9a8b7c6d';

describe('AccessTokenService', () => {
  const user = (overrides: Partial<User> = {}) =>
    Object.assign(new User(), {
      id: USER_ID,
      email: 'a@example.com',
      status: 'active',
      isSuperuser: false,
      ...overrides,
    });
  let stored: User | null;
  const loadById = jest.fn((id: string) => Promise.resolve(stored?.id === id ? stored : null));
  /** The active session, if any: the fake repository's only row. */
  let activeSession: ActiveSession | null;
  const findActiveSession = jest.fn((id: string) => Promise.resolve(activeSession?.id === id ? activeSession : null));
  const issuedSession = { id: SESSION_ID, refreshToken: 'refresh', expiresAt: new Date(Date.now() + 3_600_000) };
  const jwt = new JwtService({
    secret: SECRET,
    signOptions: { expiresIn: 900 },
    verifyOptions: { algorithms: ['HS256'] },
  });
  /** Signs whatever claims it is given, `exp` only when they carry one: what a holder of the secret could do. */
  const raw = new JwtService({ secret: SECRET });
  /** What the fake AuthStateCache holds in memory: nothing unless a test puts it there. */
  let memory: { user?: User | null; session?: ActiveSession | null };
  const service = new AccessTokenService(
    jwt,
    // The auth state as the repositories hold it (AuthStateCache's own specs cover what it keeps).
    {
      user: loadById,
      session: findActiveSession,
      cachedUser: () => memory.user ?? undefined,
      cachedSession: () => memory.session,
    } as unknown as AuthStateCache,
    { jwtExpiresInSeconds: 900, authCache: { maxEntries: 2, ttlSeconds: 300 } } as AppConfig,
  );
  const now = () => Math.floor(Date.now() / 1000);

  beforeEach(() => {
    memory = {};
    stored = user();
    activeSession = { id: SESSION_ID, userId: USER_ID, expiresAt: issuedSession.expiresAt };
    loadById.mockClear();
    findActiveSession.mockClear();
  });

  it('issues a token pair whose bearer token authenticates as its user and session', async () => {
    const issued = service.issue(USER_ID, issuedSession);
    expect(issued).toEqual({
      access_token: expect.any(String),
      token_type: 'bearer',
      expires_in: 900,
      refresh_token: 'refresh',
      refresh_expires_in: expect.any(Number),
    });
    expect(issued.refresh_expires_in).toBeGreaterThan(3590);
    expect(issued.refresh_expires_in).toBeLessThanOrEqual(3600);
    await expect(service.authenticateSession(issued.access_token)).resolves.toEqual({
      user: stored,
      sessionId: SESSION_ID,
      expiresAtMs: jwt.decode<{ exp: number }>(issued.access_token).exp * 1000,
    });
    expect(jwt.decode<{ exp: number; iat: number }>(issued.access_token)).toMatchObject({
      sub: USER_ID,
      sid: SESSION_ID,
      exp: expect.any(Number),
    });
  });

  it('refuses a token whose session ended, or belongs to another user', async () => {
    const token = service.issue(USER_ID, issuedSession).access_token;
    activeSession = null;
    await expect(service.authenticate(token)).rejects.toThrow(UnauthorizedException);
    activeSession = { id: SESSION_ID, userId: OTHER_USER_ID, expiresAt: issuedSession.expiresAt };
    await expect(service.authenticate(token)).rejects.toThrow(UnauthorizedException);
  });

  it.each([
    ['no exp (it would never expire)', { sub: USER_ID, sid: SESSION_ID }],
    ['no sid (a token from before sessions)', { sub: USER_ID, exp: now() + 60 }],
    ['a sid that is not a UUID', { sub: USER_ID, sid: 'session', exp: now() + 60 }],
    ['a sub that is not a UUID', { sub: 'admin', exp: now() + 60 }],
    ['a numeric sub', { sub: 42, exp: now() + 60 }],
    ['an object sub', { sub: { id: USER_ID }, exp: now() + 60 }],
    ['no sub', { exp: now() + 60 }],
    ['an exp in the past', { sub: USER_ID, sid: SESSION_ID, exp: now() - 10 }],
  ])('refuses a correctly signed token with %s (401, no database query)', async (_, claims) => {
    const token = await raw.signAsync(claims);
    await expect(service.authenticate(token)).rejects.toThrow(UnauthorizedException);
    expect(loadById).not.toHaveBeenCalled();
    expect(findActiveSession).not.toHaveBeenCalled();
  });

  it('refuses a token signed with another secret', async () => {
    const token = await new JwtService({ secret: `${SECRET}-other` }).signAsync({ sub: USER_ID, exp: now() + 60 });
    await expect(service.authenticate(token)).rejects.toThrow(UnauthorizedException);
  });

  it('verifies a token once, and still refuses it from the second its exp names', async () => {
    const verify = jest.spyOn(jwt, 'verifyAsync');
    try {
      const token = await raw.signAsync({ sub: USER_ID, sid: SESSION_ID, exp: now() + 2 });
      await expect(service.authenticate(token)).resolves.toBe(stored);
      await expect(service.authenticate(token)).resolves.toBe(stored);
      expect(verify).toHaveBeenCalledTimes(1);
      jest.useFakeTimers({ now: (now() + 2) * 1000 });
      await expect(service.authenticate(token)).rejects.toThrow(UnauthorizedException);
    } finally {
      jest.useRealTimers();
      verify.mockRestore();
    }
  });

  it('keeps at most AUTH_CACHE_MAX_ENTRIES verified tokens, and never one that failed', async () => {
    const verify = jest.spyOn(jwt, 'verifyAsync');
    try {
      const tokens = await Promise.all(
        [1, 2, 3].map((i) => raw.signAsync({ sub: USER_ID, sid: SESSION_ID, exp: now() + 60 + i })),
      );
      for (const token of tokens) await service.authenticate(token);
      verify.mockClear();
      await service.authenticate(tokens[0]);
      expect(verify).toHaveBeenCalledTimes(1);
      const forged = `${tokens[1].slice(0, -2)}xx`;
      await expect(service.authenticate(forged)).rejects.toThrow(UnauthorizedException);
      await expect(service.authenticate(forged)).rejects.toThrow(UnauthorizedException);
      expect(verify).toHaveBeenCalledTimes(3);
    } finally {
      verify.mockRestore();
    }
  });

  it('answers from memory, without a promise, once the token was verified and its session and user are held', async () => {
    const token = service.issue(USER_ID, issuedSession).access_token;
    expect(service.authenticateFromMemory(token)).toBeUndefined();
    await service.authenticateSession(token);
    expect(service.authenticateFromMemory(token)).toBeUndefined();
    memory = { user: stored, session: activeSession };
    expect(service.authenticateFromMemory(token)).toEqual({
      user: stored,
      sessionId: SESSION_ID,
      expiresAtMs: jwt.decode<{ exp: number }>(token).exp * 1000,
    });
    expect(service.authenticateFromMemory('never-verified')).toBeUndefined();
  });

  it('refuses from memory what authenticateSession refuses: an ended session, another user’s, an inactive user', async () => {
    const token = service.issue(USER_ID, issuedSession).access_token;
    await service.authenticateSession(token);
    memory = { user: stored, session: null };
    expect(() => service.authenticateFromMemory(token)).toThrow(UnauthorizedException);
    memory = { user: stored, session: { id: SESSION_ID, userId: OTHER_USER_ID, expiresAt: issuedSession.expiresAt } };
    expect(() => service.authenticateFromMemory(token)).toThrow(UnauthorizedException);
    memory = { user: user({ status: 'deactivated' }), session: activeSession };
    expect(() => service.authenticateFromMemory(token)).toThrow(UnauthorizedException);
  });

  it('leaves an expired token to authenticateSession, which refuses it', async () => {
    const token = await raw.signAsync({ sub: USER_ID, sid: SESSION_ID, exp: now() + 2 });
    await service.authenticateSession(token);
    memory = { user: stored, session: activeSession };
    try {
      jest.useFakeTimers({ now: (now() + 2) * 1000 });
      expect(service.authenticateFromMemory(token)).toBeUndefined();
      await expect(service.authenticateSession(token)).rejects.toThrow(UnauthorizedException);
    } finally {
      jest.useRealTimers();
    }
  });

  it('refuses the token of an unknown or inactive user', async () => {
    const token = service.issue(USER_ID, issuedSession).access_token;
    stored = user({ status: 'deactivated' });
    await expect(service.authenticate(token)).rejects.toThrow(UnauthorizedException);
    stored = null;
    await expect(service.authenticate(token)).rejects.toThrow(UnauthorizedException);
  });
});

describe('userIdFromClaims', () => {
  it.each([
    [null],
    ['a string payload'],
    [{ sub: USER_ID, exp: '9999999999' }],
    [{ sub: USER_ID, exp: Number.POSITIVE_INFINITY }],
    [{ sub: `${USER_ID}x`, exp: 1 }],
    [{ sub: [USER_ID], exp: 1 }],
  ])('finds no user id in %j', (claims) => {
    expect(userIdFromClaims(claims)).toBeUndefined();
  });

  it('takes sub when it is a UUID and exp a number', () => {
    expect(userIdFromClaims({ sub: USER_ID, exp: 1, iat: 0 })).toBe(USER_ID);
  });
});

describe('sessionIdFromClaims', () => {
  it.each([[null], [{ sub: USER_ID }], [{ sid: 42 }], [{ sid: `${SESSION_ID}x` }]])(
    'finds no session id in %j',
    (claims) => {
      expect(sessionIdFromClaims(claims)).toBeUndefined();
    },
  );

  it('takes sid when it is a UUID', () => {
    expect(sessionIdFromClaims({ sub: USER_ID, sid: SESSION_ID })).toBe(SESSION_ID);
  });
});
