import { Injectable, NotFoundException, UnauthorizedException } from '@nestjs/common';
import { EntityManager } from 'typeorm';
import { SecurityLogService } from '../common/security-log.service';
import { AppConfig } from '../config/app-config';
import { InjectConfig } from '../config/config.module';
import { Transactions } from '../database/transactions';
import { normalizeIp } from '../common/cidr';
import { sameDigest } from '../common/secret-token';
import {
  newRefreshToken,
  newSessionId,
  openSuccessor,
  parseRefreshToken,
  PresentedRefreshToken,
  sealSuccessor,
} from './refresh-token';
import { SessionForRefresh, SessionsRepository, SessionSummary } from './sessions.repository';

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
 * ended by their owner, ended in bulk by admins and by password changes. The one exception to reuse is
 * the grace identity servers give (Auth0's reuse interval, Okta's grace period): the token the last refresh
 * spent, presented again by the same client within REFRESH_REUSE_GRACE, gets the successor that refresh
 * handed out, because two tabs sharing one refresh cookie refresh at the same moment.
 */
@Injectable()
export class SessionsService {
  constructor(
    private readonly sessions: SessionsRepository,
    private readonly transactions: Transactions,
    private readonly securityLog: SecurityLogService,
    @InjectConfig() private readonly config: AppConfig,
  ) {}

  /**
   * Opens a session for a user who just proved who they are; it lives REFRESH_TOKEN_TTL at most. `deviceId`
   * is the known device that signed in (src/devices), which the device list marks as "this device".
   */
  async open(userId: string, client: SessionClient, deviceId?: string, tx?: EntityManager): Promise<IssuedSession> {
    const id = newSessionId();
    const refresh = newRefreshToken(id);
    const expiresAt = new Date(Date.now() + this.config.refreshTokenTtlSeconds * 1000);
    await this.sessions.insert(
      {
        id,
        userId,
        expiresAt,
        ip: client.ip,
        userAgent: truncatedUserAgent(client.userAgent),
        refreshTokenHash: refresh.hash,
        deviceId: deviceId ?? null,
      },
      tx,
    );
    return { id, refreshToken: refresh.token, expiresAt };
  }

  /**
   * Spends a refresh token and returns the session's next one. Decided under the session's row lock, so of
   * two refreshes with one token exactly one rotates; the other gets the same successor when it is the same
   * client within the grace, and counts as reuse otherwise. 401 for anything else.
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
        const successor = this.successorWithinGrace(session, presented, client);
        if (successor !== undefined) {
          return session.userIsActive
            ? {
                kind: 'rotated',
                userId: session.userId,
                session: { id: session.id, refreshToken: successor, expiresAt: session.expiresAt },
              }
            : { kind: 'refused' };
        }
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
        {
          sessionId: session.id,
          spentHash: session.refreshTokenHash,
          nextHash: next.hash,
          sealedNext: sealSuccessor(presented, next.token),
          ip: client.ip,
          userAgent: truncatedUserAgent(client.userAgent),
          rotatedAt: new Date(),
        },
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

  /**
   * The successor the last rotation handed out, when `presented` is the token it spent, presented again
   * within the grace by the client that spent it (same IP and User-Agent, as the rotation recorded them).
   * Anything else is undefined, and a spent token then counts as reuse.
   */
  private successorWithinGrace(
    session: SessionForRefresh,
    presented: PresentedRefreshToken,
    client: SessionClient,
  ): string | undefined {
    const graceMs = this.config.refreshReuseGraceSeconds * 1000;
    if (
      session.previousRefreshTokenHash === null ||
      session.rotatedAt === null ||
      session.sealedRefreshToken === null ||
      !sameDigest(presented.hash, session.previousRefreshTokenHash) ||
      Date.now() - session.rotatedAt.getTime() >= graceMs ||
      !isSameClient(session, client)
    ) {
      return undefined;
    }
    return openSuccessor(presented, session.sealedRefreshToken);
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

/**
 * Whether a refresh comes from the client the session last saw (its IP and User-Agent as stored). A thief
 * replaying a stolen token from elsewhere differs in one or the other; the user's own second tab does not.
 */
export function isSameClient(recorded: Pick<SessionForRefresh, 'ip' | 'userAgent'>, client: SessionClient): boolean {
  return (
    recorded.ip !== null &&
    normalizeIp(recorded.ip) === normalizeIp(client.ip) &&
    recorded.userAgent === truncatedUserAgent(client.userAgent)
  );
}
