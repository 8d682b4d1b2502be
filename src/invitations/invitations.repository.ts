import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, EntityManager } from 'typeorm';
import { Page } from '../common/total-count';
import { Invitation } from './invitation';

interface InvitationRow {
  id: string;
  email: string;
  is_superuser: boolean;
  invited_by: string | null;
  created_at: Date;
  expires_at: Date;
  accepted_at: Date | null;
  accepted_user_id: string | null;
  revoked_at: Date | null;
}

const COLUMNS =
  'id, email, is_superuser, invited_by, created_at, expires_at, accepted_at, accepted_user_id, revoked_at';

/** Still usable: neither accepted nor revoked, and not expired. */
const PENDING = 'accepted_at IS NULL AND revoked_at IS NULL AND expires_at > now()';

export interface NewInvitation {
  email: string;
  isSuperuser: boolean;
  invitedBy: string;
  tokenHash: Buffer;
  ttlSeconds: number;
}

/** The invitations table. Tokens are looked up by their SHA-256 only. */
@Injectable()
export class InvitationsRepository {
  constructor(@InjectDataSource() private readonly dataSource: DataSource) {}

  /**
   * Holds, until `tx` ends, the right to invite this address: two admins inviting it at once are queued, so
   * the second one's replacement sees the first one's invitation.
   */
  async lockAddress(email: string, tx: EntityManager): Promise<void> {
    await tx.query(`SELECT pg_advisory_xact_lock(hashtextextended('invitation:' || $1, 0))`, [email]);
  }

  /** Revokes the address's pending invitations (their links stop working); the number revoked. */
  async revokePendingFor(email: string, tx: EntityManager): Promise<number> {
    const [, affected]: [unknown[], number] = await tx.query(
      `UPDATE invitations SET revoked_at = now() WHERE email = $1 AND ${PENDING}`,
      [email],
    );
    return affected;
  }

  async insert(invitation: NewInvitation, tx: EntityManager): Promise<Invitation> {
    const rows: InvitationRow[] = await tx.query(
      `INSERT INTO invitations (email, is_superuser, invited_by, token_hash, expires_at)
       VALUES ($1, $2, $3, $4, now() + make_interval(secs => $5))
       RETURNING ${COLUMNS}`,
      [invitation.email, invitation.isSuperuser, invitation.invitedBy, invitation.tokenHash, invitation.ttlSeconds],
    );
    return toInvitation(rows[0]);
  }

  /** Newest first. */
  async findPage(skip: number, limit: number): Promise<Page<Invitation>> {
    const rows: InvitationRow[] = await this.dataSource.query(
      `SELECT ${COLUMNS} FROM invitations ORDER BY created_at DESC, id DESC OFFSET $1 LIMIT $2`,
      [skip, limit],
    );
    const [{ total }]: Array<{ total: number }> = await this.dataSource.query(
      'SELECT count(*)::int AS total FROM invitations',
    );
    return { items: rows.map(toInvitation), total };
  }

  /** Revokes the invitation if it is pending; otherwise changes nothing. Its row either way (none: unknown id). */
  async revokeIfPending(
    id: string,
    tx: EntityManager,
  ): Promise<{ invitation: Invitation; revoked: boolean } | undefined> {
    // An UPDATE answers [rows, affected count].
    const [revoked]: [InvitationRow[], number] = await tx.query(
      `UPDATE invitations SET revoked_at = now() WHERE id = $1 AND ${PENDING} RETURNING ${COLUMNS}`,
      [id],
    );
    if (revoked.length > 0) return { invitation: toInvitation(revoked[0]), revoked: true };
    const current: InvitationRow[] = await tx.query(`SELECT ${COLUMNS} FROM invitations WHERE id = $1`, [id]);
    return current.length > 0 ? { invitation: toInvitation(current[0]), revoked: false } : undefined;
  }

  /**
   * Marks the invitation with this token digest accepted if it is pending and the admin who sent it is still
   * an active superuser, and returns it; in one statement whose row lock holds until `tx` ends, so of requests
   * racing with one link exactly one gets it (the others wait, then find it accepted) and a rolled-back
   * acceptance leaves it pending.
   */
  async acceptPending(tokenHash: Buffer, tx: EntityManager): Promise<Invitation | undefined> {
    const [rows]: [InvitationRow[], number] = await tx.query(
      `UPDATE invitations SET accepted_at = now()
        WHERE token_hash = $1 AND ${PENDING}
          AND EXISTS (SELECT 1 FROM users
                       WHERE users.id = invitations.invited_by AND users.is_superuser AND users.status = 'active')
        RETURNING ${COLUMNS}`,
      [tokenHash],
    );
    return rows.length > 0 ? toInvitation(rows[0]) : undefined;
  }

  async recordAcceptedUser(id: string, userId: string, tx: EntityManager): Promise<void> {
    await tx.query('UPDATE invitations SET accepted_user_id = $2 WHERE id = $1', [id, userId]);
  }
}

function toInvitation(row: InvitationRow): Invitation {
  return {
    id: row.id,
    email: row.email,
    isSuperuser: row.is_superuser,
    invitedBy: row.invited_by,
    createdAt: row.created_at,
    expiresAt: row.expires_at,
    acceptedAt: row.accepted_at,
    acceptedUserId: row.accepted_user_id,
    revokedAt: row.revoked_at,
  };
}
