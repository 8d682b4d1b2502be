import { NotFoundException, UnauthorizedException } from '@nestjs/common';
import { EntityManager } from 'typeorm';
import { SecurityLogService } from '../common/security-log.service';
import { AppConfig } from '../config/app-config';
import { Transactions } from '../database/transactions';
import { ActiveSession, NewSession, SessionForRefresh, SessionsRepository } from './sessions.repository';
import { MAX_USER_AGENT_LENGTH, SessionsService, truncatedUserAgent } from './sessions.service';

const USER_ID = '0b5e4a52-55a1-4a2b-9d57-7d0c1f1f2a10';
const IP = '192.0.2.7';

interface Row extends NewSession {
  revokedAt: Date | null;
  revokeReason: string | null;
  spent: Buffer[];
}

/** The sessions table in memory, as the service uses it. */
class FakeSessionsRepository {
  readonly rows = new Map<string, Row>();
  userActive = true;

  insert(session: NewSession): Promise<void> {
    this.rows.set(session.id, { ...session, revokedAt: null, revokeReason: null, spent: [] });
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
          }
        : null,
    );
  }

  isSpent(id: string, hash: Buffer): Promise<boolean> {
    return Promise.resolve(this.rows.get(id)!.spent.some((spent) => spent.equals(hash)));
  }

  rotate(id: string, spentHash: Buffer, nextHash: Buffer): Promise<void> {
    const row = this.rows.get(id)!;
    row.spent.push(spentHash);
    row.refreshTokenHash = nextHash;
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
      { refreshTokenTtlSeconds: 3600 } as AppConfig,
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
    await expect(service.rotate(opened.refreshToken, { ip: IP })).rejects.toThrow(UnauthorizedException);
    expect(repository.rows.get(opened.id)).toMatchObject({ revokeReason: 'refresh_token_reused' });
    expect(log).toHaveBeenCalledWith('refresh_token_reused', { ip: IP, user_id: USER_ID, session_id: opened.id });
    await expect(service.rotate(next.session.refreshToken, { ip: IP })).rejects.toThrow(UnauthorizedException);
    await expect(repository.findActiveSession(opened.id)).resolves.toBeNull();
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
