import { Injectable, NotFoundException } from '@nestjs/common';
import { AuditTrail } from '../audit/audit-trail.service';
import { UsersRepository } from '../auth/users.repository';
import { SessionsService } from './sessions.service';
import { SessionSummary } from './sessions.repository';

/** Admins' view of a user's sessions, and "sign out everywhere", logged as the other admin actions are. */
@Injectable()
export class AdminSessionsService {
  constructor(
    private readonly sessions: SessionsService,
    private readonly users: UsersRepository,
    private readonly auditTrail: AuditTrail,
  ) {}

  async list(userId: string): Promise<SessionSummary[]> {
    await this.requireUser(userId);
    return this.sessions.listActive(userId);
  }

  /** Ends every active session of the user (audited in the same transaction); its tokens stop on their next request. */
  async signOutEverywhere(actorId: string, userId: string, ip: string): Promise<void> {
    await this.requireUser(userId);
    await this.auditTrail.run(async (tx, record) => {
      const ended = await this.sessions.endAllForUser(userId, 'signed_out_by_admin', undefined, tx);
      await record('admin_action', {
        ip,
        action: 'end_sessions',
        actor_id: actorId,
        target_id: userId,
        sessions_ended: ended,
      });
    });
  }

  private async requireUser(userId: string): Promise<void> {
    if (!(await this.users.existsById(userId))) {
      throw new NotFoundException('User not found');
    }
  }
}
