import { BadRequestException, Injectable, NotFoundException, UnprocessableEntityException } from '@nestjs/common';
import { EntityManager } from 'typeorm';
import { AuditTrail } from '../audit/audit-trail.service';
import { hashPassword, verifyPassword } from '../auth/password-hasher';
import { sha256 } from '../common/secret-token';
import { SecurityLogService } from '../common/security-log.service';
import { User } from '../database/entities/user.entity';
import { Transactions } from '../database/transactions';
import { SessionsService } from '../sessions/sessions.service';
import { AccountMailer } from './account-mailer.service';
import { AccountUsersRepository } from './account-users.repository';
import { EmailTokensRepository } from './email-tokens.repository';
import { INVALID_TOKEN } from './email-verification.service';
import { LockoutService } from './lockout.service';

export const WRONG_CURRENT_PASSWORD = 'current_password is incorrect';

/**
 * Replacing a password: by a reset link (asked for by the user or sent by an admin) or by knowing the
 * current one. New passwords arrive already checked against the password rules (the DTOs).
 */
@Injectable()
export class PasswordService {
  constructor(
    private readonly users: AccountUsersRepository,
    private readonly tokens: EmailTokensRepository,
    private readonly mailer: AccountMailer,
    private readonly lockout: LockoutService,
    private readonly sessions: SessionsService,
    private readonly transactions: Transactions,
    private readonly securityLog: SecurityLogService,
    private readonly auditTrail: AuditTrail,
  ) {}

  /** An admin sends the user a reset link, audited in the same transaction (404 for an unknown user). */
  async sendResetByAdmin(userId: string, actorId: string, ip: string): Promise<void> {
    const user = await this.users.findById(userId);
    if (!user) throw new NotFoundException('User not found');
    await this.auditTrail.run(async (tx, record) => {
      await this.mailer.sendPasswordReset(user, tx);
      await record('admin_action', {
        ip,
        action: 'password_reset',
        actor_id: actorId,
        target_id: user.id,
        target_email: user.email,
      });
    });
  }

  /**
   * Spends the token and sets the new password; following the link proved the mailbox, so the address
   * counts as verified and any lockout ends, and every session ends. 400 for a bad, spent or expired token.
   */
  async reset(token: string, newPassword: string, ip: string): Promise<void> {
    const hashedPassword = await hashPassword(newPassword);
    const userId = await this.transactions.run(async (tx) => {
      const owner = await this.tokens.consume('password_reset', sha256(token), tx);
      if (owner !== undefined) await this.replacePassword(owner, hashedPassword, { viaEmailLink: true }, tx);
      return owner;
    });
    if (userId === undefined) throw new BadRequestException(INVALID_TOKEN);
    this.securityLog.log('password_changed', { ip, user_id: userId, via: 'reset' });
  }

  /**
   * The signed-in user changes the password; the session asking stays, every other one ends. A wrong
   * current one → 422 and counts toward lockout.
   */
  async change(
    user: User,
    currentSessionId: string,
    currentPassword: string,
    newPassword: string,
    ip: string,
  ): Promise<void> {
    const stored = await this.users.findById(user.id);
    if (!stored || !(await verifyPassword(stored.hashedPassword, currentPassword))) {
      this.securityLog.log('password_change_failed', { ip, user_id: user.id, email: user.email });
      if (stored) await this.lockout.recordFailure(stored, ip);
      throw new UnprocessableEntityException([WRONG_CURRENT_PASSWORD]);
    }
    const hashedPassword = await hashPassword(newPassword);
    await this.transactions.run((tx) =>
      this.replacePassword(user.id, hashedPassword, { viaEmailLink: false, keepSessionId: currentSessionId }, tx),
    );
    this.securityLog.log('password_changed', { ip, user_id: user.id, via: 'change' });
  }

  /**
   * The one step both reset and change end with, inside their transaction: the new hash (after a reset,
   * with every lock of the account and its devices ended), the end of every reset link still in a mailbox
   * (a link asked for before the change must not undo it later), and the end of every session but the one
   * kept (none after a reset: whoever held the old password is signed out).
   */
  private async replacePassword(
    userId: string,
    hashedPassword: string,
    how: { viaEmailLink: boolean; keepSessionId?: string },
    tx: EntityManager,
  ): Promise<void> {
    // The devices before the user's row, as a sign-in writes them (KnownDevicesRepository's lock order).
    if (how.viaEmailLink) await this.lockout.endDeviceLocks(userId, tx);
    await this.users.setPassword(userId, hashedPassword, how.viaEmailLink, tx);
    await this.tokens.spendAllUnused('password_reset', userId, tx);
    await this.sessions.endAllForUser(
      userId,
      how.keepSessionId === undefined ? 'password_reset' : 'password_changed',
      how.keepSessionId,
      tx,
    );
  }
}
