import { Injectable, NotFoundException, UnauthorizedException } from '@nestjs/common';
import { EntityManager } from 'typeorm';
import { SecurityLogService } from '../common/security-log.service';
import { AppConfig } from '../config/app-config';
import { InjectConfig } from '../config/config.module';
import { Transactions } from '../database/transactions';
import { sameDigest } from '../common/secret-token';
import { newRefreshToken, newSessionId, parseRefreshToken } from './refresh-token';
import { SessionsRepository, SessionSummary } from './sessions.repository';

export const INVALID_REFRESH_TOKEN = 'Invalid or expired refresh token';
export const SESSION_NOT_FOUND = 'Session not found';

/** Longer User-Agent headers are cut: the column describes a client, it is no place to store a payload. */
export const MAX_USER_AGENT_LENGTH = 512;

/** Why a session ended, as stored in sessions.revoke_reason. */
export type SessionEndReason =
  'logout' | 'revoked_by_user' | 'refresh_token_reused' | 'signed_out_by_admin' | 'password_changed' | 'password_reset';

/** Where a login or refresh comes from. */
export interface SessionClient {
  ip: string;
  userAgent?: string;
}

/** A session as a token response describes it: its id (the access token's `sid`), refresh token and end. */
export interface IssuedSession {
  id: string;
  refreshToken: string;
  expiresAt: Date;
}

type RotationOutcome =
  | { kind: 'rotated'; userId: string; session: IssuedSession }
  | { kind: 'reused'; userId: string }
  | { kind: 'refused' };

/**
 * Login sessions: opened at login, each with a chain of single-use refresh tokens (rotated on every
 * refresh; a spent one presented again revokes the session, OAuth 2.0 Security BCP §4.14), listed and
 * ended by their owner, ended in bulk by admins and by password changes.
 */
@Injectable()
export class SessionsService {
  constructor(
    private readonly sessions: SessionsRepository,
    private readonly transactions: Transactions,
    private readonly securityLog: SecurityLogService,
    @InjectConfig() private readonly config: AppConfig,
  ) {}

  /** Opens a session for a user who just proved who they are; it lives REFRESH_TOKEN_TTL at most. */
  async open(userId: string, client: SessionClient): Promise<IssuedSession> {
    const id = newSessionId();
    const refresh = newRefreshToken(id);
    const expiresAt = new Date(Date.now() + this.config.refreshTokenTtlSeconds * 1000);
    await this.sessions.insert({
      id,
      userId,
      expiresAt,
      ip: client.ip,
      userAgent: truncatedUserAgent(client.userAgent),
      refreshTokenHash: refresh.hash,
    });
    return { id, refreshToken: refresh.token, expiresAt };
  }

  /**
   * Spends a refresh token and returns the session's next one. Decided under the session's row lock, so of
   * two refreshes with one token exactly one wins, and the other counts as reuse. 401 for anything else.
   */
  async rotate(refreshToken: string, client: SessionClient): Promise<{ userId: string; session: IssuedSession }> {
    const presented = parseRefreshToken(refreshToken);
    if (!presented) {
      throw new UnauthorizedException(INVALID_REFRESH_TOKEN);
    }
    const outcome = await this.transactions.run(async (tx): Promise<RotationOutcome> => {
      const session = await this.sessions.lockForRefresh(presented.sessionId, tx);
      if (!session || session.revokedAt !== null || session.expiresAt.getTime() <= Date.now()) {
        return { kind: 'refused' };
      }
      if (!sameDigest(presented.hash, session.refreshTokenHash)) {
        // Only a token this chain really spent revokes it: a made-up secret for a known session id must not
        // let anyone end other people's sessions.
        if (!(await this.sessions.isSpent(session.id, presented.hash, tx))) {
          return { kind: 'refused' };
        }
        await this.sessions.revoke(session.id, 'refresh_token_reused', tx);
        return { kind: 'reused', userId: session.userId };
      }
      if (!session.userIsActive) {
        return { kind: 'refused' };
      }
      const next = newRefreshToken(session.id);
      await this.sessions.rotate(
        session.id,
        session.refreshTokenHash,
        next.hash,
        client.ip,
        truncatedUserAgent(client.userAgent),
        tx,
      );
      return {
        kind: 'rotated',
        userId: session.userId,
        session: { id: session.id, refreshToken: next.token, expiresAt: session.expiresAt },
      };
    });
    if (outcome.kind === 'reused') {
      this.securityLog.log('refresh_token_reused', {
        ip: client.ip,
        user_id: outcome.userId,
        session_id: presented.sessionId,
      });
    }
    if (outcome.kind !== 'rotated') {
      throw new UnauthorizedException(INVALID_REFRESH_TOKEN);
    }
    return { userId: outcome.userId, session: outcome.session };
  }

  /** Ends the session a bearer token belongs to. */
  async logout(userId: string, sessionId: string, ip: string): Promise<void> {
    await this.sessions.revokeActiveOfUser(sessionId, userId, 'logout');
    this.securityLog.log('logout', { ip, user_id: userId, session_id: sessionId });
  }

  /** The user's active sessions, newest first. */
  listActive(userId: string): Promise<SessionSummary[]> {
    return this.sessions.findActiveOfUser(userId);
  }

  /** Ends one of the user's own active sessions; 404 for an unknown one, someone else's, or one already ended. */
  async endOwn(userId: string, sessionId: string, ip: string): Promise<void> {
    if (!(await this.sessions.revokeActiveOfUser(sessionId, userId, 'revoked_by_user'))) {
      throw new NotFoundException(SESSION_NOT_FOUND);
    }
    this.securityLog.log('session_revoked', { ip, user_id: userId, session_id: sessionId, reason: 'revoked_by_user' });
  }

  /**
   * Ends every active session of the user, but `exceptSessionId` when given (a password change keeps the
   * session that made it); returns how many ended. Inside `tx` when given, so that the sessions end exactly
   * when the change that ends them commits. The callers log their own event.
   */
  endAllForUser(
    userId: string,
    reason: SessionEndReason,
    exceptSessionId?: string,
    tx?: EntityManager,
  ): Promise<number> {
    return this.sessions.revokeAllActiveOfUser(userId, reason, exceptSessionId ?? null, tx);
  }
}

/** Undefined or blank: null. NUL cannot be stored in PostgreSQL text. */
export function truncatedUserAgent(userAgent: string | undefined): string | null {
  const cleaned = userAgent?.replaceAll('\u0000', '').trim();
  return cleaned ? cleaned.slice(0, MAX_USER_AGENT_LENGTH) : null;
}
