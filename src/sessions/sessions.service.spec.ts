import { NotFoundException, UnauthorizedException } from '@nestjs/common';
import { EntityManager } from 'typeorm';
import { SecurityLogService } from '../common/security-log.service';
import { AppConfig } from '../config/app-config';
import { Transactions } from '../database/transactions';
import { ActiveSession, NewSession, Rotation, SessionForRefresh, SessionsRepository } from './sessions.repository';
import { isSameClient, MAX_USER_AGENT_LENGTH, SessionsService, truncatedUserAgent } from './sessions.service';

const USER_ID = '0b5e4a52-55a1-4a2b-9d57-7d0c1f1f2a10';
const IP = '192.0.2.7';

interface Row extends NewSession {
  revokedAt: Date | null;
  revokeReason: string | null;
  spent: Buffer[];
  previousRefreshTokenHash: Buffer | null;
  rotatedAt: Date | null;
  sealedRefreshToken: Buffer | null;
}

/** The sessions table in memory, as the service uses it. */
class FakeSessionsRepository {
  readonly rows = new Map<string, Row>();
  userActive = true;

  insert(session: NewSession): Promise<void> {
    this.rows.set(session.id, {
      ...session,
      revokedAt: null,
      revokeReason: null,
      spent: [],
      previousRefreshTokenHash: null,
      rotatedAt: null,
      sealedRefreshToken: null,
    });
    return Promise.resolve();
  }

  findActiveSession(id: string): Promise<ActiveSession | null> {
    const row = this.active(id);
    return Promise.resolve(row ? { id, userId: row.userId, expiresAt: row.expiresAt } : null);
  }

  lockForRefresh(id: string): Promise<SessionForRefresh | null> {
    const row = this.rows.get(id);
    return Promise.resolve(
      row
        ? {
            id,
            userId: row.userId,
            userIsActive: this.userActive,
            expiresAt: row.expiresAt,
            revokedAt: row.revokedAt,
            refreshTokenHash: row.refreshTokenHash,
            ip: row.ip,
            userAgent: row.userAgent,
            previousRefreshTokenHash: row.previousRefreshTokenHash,
            rotatedAt: row.rotatedAt,
            sealedRefreshToken: row.sealedRefreshToken,
          }
        : null,
    );
  }

  isSpent(id: string, hash: Buffer): Promise<boolean> {
    return Promise.resolve(this.rows.get(id)!.spent.some((spent) => spent.equals(hash)));
  }

  rotate(rotation: Rotation): Promise<void> {
    const row = this.rows.get(rotation.sessionId)!;
    row.spent.push(rotation.spentHash);
    Object.assign(row, {
      refreshTokenHash: rotation.nextHash,
      previousRefreshTokenHash: rotation.spentHash,
      sealedRefreshToken: rotation.sealedNext,
      rotatedAt: rotation.rotatedAt,
      ip: rotation.ip,
      userAgent: rotation.userAgent,
    });
    return Promise.resolve();
  }

  revoke(id: string, reason: string): Promise<void> {
    const row = this.rows.get(id)!;
    row.revokedAt ??= new Date();
    row.revokeReason ??= reason;
    return Promise.resolve();
  }

  revokeActiveOfUser(id: string, userId: string, reason: string): Promise<boolean> {
    const row = this.active(id);
    if (row?.userId !== userId) return Promise.resolve(false);
    row.revokedAt = new Date();
    row.revokeReason = reason;
    return Promise.resolve(true);
  }

  revokeAllActiveOfUser(userId: string, reason: string, exceptId: string | null): Promise<number> {
    let count = 0;
    for (const row of this.rows.values()) {
      if (row.userId === userId && row.id !== exceptId && this.active(row.id)) {
        row.revokedAt = new Date();
        row.revokeReason = reason;
        count += 1;
      }
    }
    return Promise.resolve(count);
  }

  private active(id: string): Row | undefined {
    const row = this.rows.get(id);
    return row && row.revokedAt === null && row.expiresAt.getTime() > Date.now() ? row : undefined;
  }
}

describe('SessionsService', () => {
  let repository: FakeSessionsRepository;
  let service: SessionsService;
  const log = jest.fn();
  const transactions = { run: (work: (tx: EntityManager) => Promise<unknown>) => work({} as EntityManager) };

  beforeEach(() => {
    repository = new FakeSessionsRepository();
    log.mockClear();
    service = new SessionsService(
      repository as unknown as SessionsRepository,
      transactions as unknown as Transactions,
      { log } as unknown as SecurityLogService,
      { refreshTokenTtlSeconds: 3600, refreshReuseGraceSeconds: 10 } as AppConfig,
    );
  });

  it('opens a session that lives REFRESH_TOKEN_TTL, storing only the digest of its refresh token', async () => {
    const opened = await service.open(USER_ID, { ip: IP, userAgent: 'spec/1' });
    const row = repository.rows.get(opened.id)!;
    expect(row).toMatchObject({ userId: USER_ID, ip: IP, userAgent: 'spec/1' });
    expect(opened.expiresAt.getTime() - Date.now()).toBeGreaterThan(3_599_000);
    expect(JSON.stringify(row)).not.toContain(opened.refreshToken.split('.')[1]);
  });

  it('rotates: the next token works, the session and its end stay the same', async () => {
    const opened = await service.open(USER_ID, { ip: IP });
    const first = await service.rotate(opened.refreshToken, { ip: IP });
    expect(first).toEqual({
      userId: USER_ID,
      session: { id: opened.id, refreshToken: expect.any(String), expiresAt: opened.expiresAt },
    });
    expect(first.session.refreshToken).not.toBe(opened.refreshToken);
    await expect(service.rotate(first.session.refreshToken, { ip: IP })).resolves.toMatchObject({ userId: USER_ID });
  });

  it('treats a spent token as reuse: 401, the session revoked, refresh_token_reused logged', async () => {
    const opened = await service.open(USER_ID, { ip: IP });
    const next = await service.rotate(opened.refreshToken, { ip: IP });
    // Past the grace: the repeat is reuse.
    repository.rows.get(opened.id)!.rotatedAt = new Date(Date.now() - 10_001);
    await expect(service.rotate(opened.refreshToken, { ip: IP })).rejects.toThrow(UnauthorizedException);
    expect(repository.rows.get(opened.id)).toMatchObject({ revokeReason: 'refresh_token_reused' });
    expect(log).toHaveBeenCalledWith('refresh_token_reused', { ip: IP, user_id: USER_ID, session_id: opened.id });
    await expect(service.rotate(next.session.refreshToken, { ip: IP })).rejects.toThrow(UnauthorizedException);
    await expect(repository.findActiveSession(opened.id)).resolves.toBeNull();
  });

  describe('the grace for the token just spent (REFRESH_REUSE_GRACE)', () => {
    const client = { ip: IP, userAgent: 'tab/1' };

    it('gives the same client, within the grace, the successor already handed out, and revokes nothing', async () => {
      const opened = await service.open(USER_ID, client);
      const first = await service.rotate(opened.refreshToken, client);
      const again = await service.rotate(opened.refreshToken, client);
      expect(again).toEqual(first);
      expect(repository.rows.get(opened.id)!.revokedAt).toBeNull();
      expect(repository.rows.get(opened.id)!.spent).toHaveLength(1);
      expect(log).not.toHaveBeenCalled();
      // The successor goes on as usual, and the spent one is no longer "just spent".
      await service.rotate(first.session.refreshToken, client);
      await expect(service.rotate(opened.refreshToken, client)).rejects.toThrow(UnauthorizedException);
      expect(repository.rows.get(opened.id)!.revokeReason).toBe('refresh_token_reused');
    });

    it.each([
      ['after the grace', (row: Row) => (row.rotatedAt = new Date(Date.now() - 10_001)), client],
      ['from another User-Agent', () => undefined, { ip: IP, userAgent: 'thief/1' }],
      ['from another IP', () => undefined, { ip: '198.51.100.9', userAgent: 'tab/1' }],
      ['when the seal was tampered with', (row: Row) => row.sealedRefreshToken![20]++, client],
    ])('revokes the session %s', async (_, change, repeat) => {
      const opened = await service.open(USER_ID, client);
      await service.rotate(opened.refreshToken, client);
      change(repository.rows.get(opened.id)!);
      await expect(service.rotate(opened.refreshToken, repeat)).rejects.toThrow(UnauthorizedException);
      expect(repository.rows.get(opened.id)!.revokeReason).toBe('refresh_token_reused');
    });

    it('is off at REFRESH_REUSE_GRACE=0', async () => {
      const strict = new SessionsService(
        repository as unknown as SessionsRepository,
        transactions as unknown as Transactions,
        { log } as unknown as SecurityLogService,
        { refreshTokenTtlSeconds: 3600, refreshReuseGraceSeconds: 0 } as AppConfig,
      );
      const opened = await strict.open(USER_ID, client);
      await strict.rotate(opened.refreshToken, client);
      await expect(strict.rotate(opened.refreshToken, client)).rejects.toThrow(UnauthorizedException);
    });

    it("refuses an inactive user's repeat without revoking", async () => {
      const opened = await service.open(USER_ID, client);
      await service.rotate(opened.refreshToken, client);
      repository.userActive = false;
      await expect(service.rotate(opened.refreshToken, client)).rejects.toThrow(UnauthorizedException);
      expect(repository.rows.get(opened.id)!.revokedAt).toBeNull();
    });

    it('stores the successor only sealed: neither its secret nor anything that opens it without the spent token', async () => {
      const opened = await service.open(USER_ID, client);
      const first = await service.rotate(opened.refreshToken, client);
      const row = repository.rows.get(opened.id)!;
      const secret = first.session.refreshToken.split('.')[1];
      for (const encoding of ['base64url', 'hex', 'utf8'] as const) {
        expect(row.sealedRefreshToken!.toString(encoding)).not.toContain(secret);
        expect(row.sealedRefreshToken!.toString(encoding)).not.toContain(
          Buffer.from(secret, 'base64url').toString(encoding),
        );
      }
    });
  });

  it('compares clients by normalised IP and the User-Agent as stored', () => {
    expect(isSameClient({ ip: '2001:db8::1', userAgent: 'a' }, { ip: '2001:DB8:0::1', userAgent: ' a ' })).toBe(true);
    expect(isSameClient({ ip: '192.0.2.1', userAgent: null }, { ip: '192.0.2.1' })).toBe(true);
    expect(isSameClient({ ip: '192.0.2.1', userAgent: 'a' }, { ip: '192.0.2.2', userAgent: 'a' })).toBe(false);
    expect(isSameClient({ ip: '192.0.2.1', userAgent: 'a' }, { ip: '192.0.2.1', userAgent: 'b' })).toBe(false);
    expect(isSameClient({ ip: null, userAgent: 'a' }, { ip: '192.0.2.1', userAgent: 'a' })).toBe(false);
  });

  it('refuses a secret the chain never issued without revoking the session (ids are no secret)', async () => {
    const opened = await service.open(USER_ID, { ip: IP });
    await expect(service.rotate(`${opened.id}.${'A'.repeat(43)}`, { ip: IP })).rejects.toThrow(UnauthorizedException);
    expect(repository.rows.get(opened.id)!.revokedAt).toBeNull();
    expect(log).not.toHaveBeenCalled();
  });

  it('refuses the token of a revoked or expired session, or of an inactive user', async () => {
    const revoked = await service.open(USER_ID, { ip: IP });
    await service.logout(USER_ID, revoked.id, IP);
    await expect(service.rotate(revoked.refreshToken, { ip: IP })).rejects.toThrow(UnauthorizedException);

    const expired = await service.open(USER_ID, { ip: IP });
    repository.rows.get(expired.id)!.expiresAt = new Date(Date.now() - 1);
    await expect(service.rotate(expired.refreshToken, { ip: IP })).rejects.toThrow(UnauthorizedException);

    const inactive = await service.open(USER_ID, { ip: IP });
    repository.userActive = false;
    await expect(service.rotate(inactive.refreshToken, { ip: IP })).rejects.toThrow(UnauthorizedException);
    expect(repository.rows.get(inactive.id)!.revokedAt).toBeNull();
  });

  it('ends only its own active sessions (404 otherwise), logging session_revoked', async () => {
    const opened = await service.open(USER_ID, { ip: IP });
    await expect(service.endOwn('someone-else', opened.id, IP)).rejects.toThrow(NotFoundException);
    await service.endOwn(USER_ID, opened.id, IP);
    expect(log).toHaveBeenCalledWith('session_revoked', {
      ip: IP,
      user_id: USER_ID,
      session_id: opened.id,
      reason: 'revoked_by_user',
    });
    await expect(service.endOwn(USER_ID, opened.id, IP)).rejects.toThrow(NotFoundException);
  });

  it('ends every session of a user but the one kept', async () => {
    const kept = await service.open(USER_ID, { ip: IP });
    await service.open(USER_ID, { ip: IP });
    await service.open(USER_ID, { ip: IP });
    await expect(service.endAllForUser(USER_ID, 'password_changed', kept.id)).resolves.toBe(2);
    await expect(repository.findActiveSession(kept.id)).resolves.not.toBeNull();
    await expect(service.endAllForUser(USER_ID, 'signed_out_by_admin')).resolves.toBe(1);
  });
});

describe('truncatedUserAgent', () => {
  it('keeps a short one, cuts a long one, drops NUL and blank ones', () => {
    expect(truncatedUserAgent('curl/8.5')).toBe('curl/8.5');
    expect(truncatedUserAgent('x'.repeat(MAX_USER_AGENT_LENGTH + 10))).toHaveLength(MAX_USER_AGENT_LENGTH);
    expect(truncatedUserAgent('a\u0000b')).toBe('ab');
    expect(truncatedUserAgent('   ')).toBeNull();
    expect(truncatedUserAgent(undefined)).toBeNull();
  });
});
