import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, EntityManager } from 'typeorm';
import { prepared } from '../database/prepared-statements';

export interface NewSession {
  id: string;
  userId: string;
  expiresAt: Date;
  ip: string;
  userAgent: string | null;
  refreshTokenHash: Buffer;
  /** The known device whose sign-in opened it. */
  deviceId: string | null;
}

/** What the per-request check needs of a session: whose it is. Only unrevoked, unexpired sessions have one. */
export interface ActiveSession {
  id: string;
  userId: string;
  expiresAt: Date;
}

/**
 * The columns an ActiveSession is made of (revoked_at decides whether there is one): the only ones whose
 * change the in-memory auth state must hear of. The table's trigger notifies an update of these alone
 * (migration SessionNotifyOnStateChange), so that a refresh, which rotates the token and touches none of
 * them, makes no instance forget the session.
 */
export const ACTIVE_SESSION_COLUMNS = ['id', 'user_id', 'expires_at', 'revoked_at'] as const;

/** A session row as a refresh sees it, locked, with its user's status. */
export interface SessionForRefresh {
  id: string;
  userId: string;
  userIsActive: boolean;
  expiresAt: Date;
  revokedAt: Date | null;
  refreshTokenHash: Buffer;
  /** The client of the last login or refresh. */
  ip: string | null;
  userAgent: string | null;
  /** The last rotation: the digest of the token it spent, when, and its successor sealed for that token. */
  previousRefreshTokenHash: Buffer | null;
  rotatedAt: Date | null;
  sealedRefreshToken: Buffer | null;
}

/** One refresh: the token spent, its successor, and the client that spent it. */
export interface Rotation {
  sessionId: string;
  spentHash: Buffer;
  nextHash: Buffer;
  /** The successor, sealed for the spent token (src/sessions/refresh-token.ts, sealSuccessor). */
  sealedNext: Buffer;
  ip: string;
  userAgent: string | null;
  /** The app's clock, as the grace is measured against it (as expires_at is). */
  rotatedAt: Date;
}

/** A session as its owner and admins see it listed. */
export interface SessionSummary {
  id: string;
  userId: string;
  createdAt: Date;
  lastUsedAt: Date;
  ip: string | null;
  userAgent: string | null;
}

interface SessionSummaryRow {
  id: string;
  user_id: string;
  created_at: Date;
  last_used_at: Date;
  ip: string | null;
  user_agent: string | null;
}

/** The sessions and spent_refresh_tokens tables. "Active" means not revoked and not expired. */
@Injectable()
export class SessionsRepository {
  constructor(@InjectDataSource() private readonly dataSource: DataSource) {}

  async insert(session: NewSession, tx?: EntityManager): Promise<void> {
    await (tx ?? this.dataSource.manager).query(
      prepared(`INSERT INTO sessions (id, user_id, expires_at, ip, user_agent, refresh_token_hash, device_id)
       VALUES ($1, $2, $3, $4, $5, $6, $7)`),
      [
        session.id,
        session.userId,
        session.expiresAt,
        session.ip,
        session.userAgent,
        session.refreshTokenHash,
        session.deviceId,
      ],
    );
  }

  /**
   * The session behind an access token, if it is still active. Runs on every authenticated request, so it
   * only reads (last_used_at moves on refresh, not here).
   */
  async findActiveSession(sessionId: string): Promise<ActiveSession | null> {
    const rows: Array<{ id: string; user_id: string; expires_at: Date }> = await this.dataSource.query(
      prepared(`SELECT id, user_id, expires_at FROM sessions
        WHERE id = $1 AND revoked_at IS NULL AND expires_at > now()`),
      [sessionId],
    );
    return rows.length === 0 ? null : { id: rows[0].id, userId: rows[0].user_id, expiresAt: rows[0].expires_at };
  }

  /** Locks the session's row until `tx` ends, so that two refreshes with one token are decided one after the other. */
  async lockForRefresh(sessionId: string, tx: EntityManager): Promise<SessionForRefresh | null> {
    const rows: Array<{
      id: string;
      user_id: string;
      user_status: string;
      expires_at: Date;
      revoked_at: Date | null;
      refresh_token_hash: Buffer;
      ip: string | null;
      user_agent: string | null;
      previous_refresh_token_hash: Buffer | null;
      rotated_at: Date | null;
      sealed_refresh_token: Buffer | null;
    }> = await tx.query(
      `SELECT s.id, s.user_id, u.status AS user_status, s.expires_at, s.revoked_at, s.refresh_token_hash,
              host(s.ip) AS ip, s.user_agent, s.previous_refresh_token_hash, s.rotated_at, s.sealed_refresh_token
         FROM sessions s JOIN users u ON u.id = s.user_id
        WHERE s.id = $1
          FOR UPDATE OF s`,
      [sessionId],
    );
    if (rows.length === 0) return null;
    const [row] = rows;
    return {
      id: row.id,
      userId: row.user_id,
      userIsActive: row.user_status === 'active',
      expiresAt: row.expires_at,
      revokedAt: row.revoked_at,
      refreshTokenHash: row.refresh_token_hash,
      ip: row.ip,
      userAgent: row.user_agent,
      previousRefreshTokenHash: row.previous_refresh_token_hash,
      rotatedAt: row.rotated_at,
      sealedRefreshToken: row.sealed_refresh_token,
    };
  }

  async isSpent(sessionId: string, tokenHash: Buffer, tx: EntityManager): Promise<boolean> {
    const rows: unknown[] = await tx.query(
      'SELECT 1 FROM spent_refresh_tokens WHERE session_id = $1 AND token_hash = $2',
      [sessionId, tokenHash],
    );
    return rows.length > 0;
  }

  /**
   * Spends the current refresh token and puts the next one in its place, keeping what a repeat within the
   * grace needs (the spent digest, the time, the sealed successor, the client); the session counts as used now.
   */
  async rotate(rotation: Rotation, tx: EntityManager): Promise<void> {
    await tx.query('INSERT INTO spent_refresh_tokens (session_id, token_hash) VALUES ($1, $2)', [
      rotation.sessionId,
      rotation.spentHash,
    ]);
    await tx.query(
      `UPDATE sessions
          SET refresh_token_hash = $2, previous_refresh_token_hash = $3, sealed_refresh_token = $4,
              rotated_at = $7, last_used_at = now(), ip = $5, user_agent = $6
        WHERE id = $1`,
      [
        rotation.sessionId,
        rotation.nextHash,
        rotation.spentHash,
        rotation.sealedNext,
        rotation.ip,
        rotation.userAgent,
        rotation.rotatedAt,
      ],
    );
  }

  /** Revokes one session of one user if it is active; false when there is no such session. */
  async revokeActiveOfUser(sessionId: string, userId: string, reason: string): Promise<boolean> {
    const [, affected]: [unknown[], number] = await this.dataSource.query(
      `UPDATE sessions SET revoked_at = now(), revoke_reason = $3
        WHERE id = $1 AND user_id = $2 AND revoked_at IS NULL AND expires_at > now()`,
      [sessionId, userId, reason],
    );
    return affected > 0;
  }

  async revoke(sessionId: string, reason: string, tx: EntityManager): Promise<void> {
    await tx.query('UPDATE sessions SET revoked_at = now(), revoke_reason = $2 WHERE id = $1 AND revoked_at IS NULL', [
      sessionId,
      reason,
    ]);
  }

  /** Revokes every active session of the user but `exceptSessionId`; returns how many. Inside `tx` when given. */
  async revokeAllActiveOfUser(
    userId: string,
    reason: string,
    exceptSessionId: string | null,
    tx?: EntityManager,
  ): Promise<number> {
    const [, affected]: [unknown[], number] = await (tx ?? this.dataSource.manager).query(
      `UPDATE sessions SET revoked_at = now(), revoke_reason = $2
        WHERE user_id = $1 AND revoked_at IS NULL AND expires_at > now() AND id IS DISTINCT FROM $3`,
      [userId, reason, exceptSessionId],
    );
    return affected;
  }

  /** The user's active sessions, newest first. */
  async findActiveOfUser(userId: string): Promise<SessionSummary[]> {
    const rows: SessionSummaryRow[] = await this.dataSource.query(
      `SELECT id, user_id, created_at, last_used_at, host(ip) AS ip, user_agent FROM sessions
        WHERE user_id = $1 AND revoked_at IS NULL AND expires_at > now()
        ORDER BY created_at DESC, id DESC`,
      [userId],
    );
    return rows.map((row) => ({
      id: row.id,
      userId: row.user_id,
      createdAt: row.created_at,
      lastUsedAt: row.last_used_at,
      ip: row.ip,
      userAgent: row.user_agent,
    }));
  }

  /** Deletes up to `limit` sessions that expired or were revoked before `before` (their spent tokens go with them). */
  async deleteEndedBefore(before: Date, limit: number): Promise<number> {
    const [, affected]: [unknown[], number] = await this.dataSource.query(
      `DELETE FROM sessions WHERE id IN (
         SELECT id FROM sessions WHERE expires_at < $1 OR revoked_at < $1 LIMIT $2)`,
      [before, limit],
    );
    return affected;
  }
}
