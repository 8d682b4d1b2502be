import { BadRequestException, ForbiddenException, Injectable, NotFoundException } from '@nestjs/common';
import { ADMIN_REQUIRED } from '../auth/guards/superuser.guard';
import { SecurityLogService } from '../common/security-log.service';
import { Page } from '../common/total-count';
import { AppConfig } from '../config/app-config';
import { InjectConfig } from '../config/config.module';
import { User } from '../database/entities/user.entity';
import { Transactions } from '../database/transactions';
import { MailService } from '../mail/mail.service';
import { AdminUsersRepository } from './admin-users.repository';
import { InactiveStatus } from './dto/list-inactive-users-query.dto';
import { accountActivatedEmail } from './emails/account-activated.email';

export type AdminAction = 'activate' | 'deactivate' | 'promote' | 'demote';

/**
 * Admins' listings and their activate / deactivate / promote / demote rules, each action logged; a user
 * whose account becomes active is told by e-mail.
 */
@Injectable()
export class AdminUsersService {
  constructor(
    private readonly users: AdminUsersRepository,
    private readonly securityLog: SecurityLogService,
    private readonly transactions: Transactions,
    private readonly mail: MailService,
    @InjectConfig() private readonly config: AppConfig,
  ) {}

  list(skip: number, limit: number): Promise<Page<User>> {
    return this.users.findPage(skip, limit);
  }

  /** Inactive users, oldest first: the approval queue when narrowed to `pending`. */
  listInactive(skip: number, limit: number, status?: InactiveStatus): Promise<Page<User>> {
    return this.users.findInactivePage(skip, limit, status);
  }

  /**
   * Applies an admin action, decided on the actor's and target's rows as locked (see changeWithBothLocked);
   * the activation notice is queued in the same transaction, so it goes out exactly when the change commits.
   */
  async apply(action: AdminAction, actorId: string, targetId: string, ip: string): Promise<User> {
    const updated = await this.transactions.run(async (tx) => {
      let wasActive = false;
      const user = await this.users.changeWithBothLocked(
        actorId,
        targetId,
        (actor, target) => {
          if (!actor?.isSuperuser || !actor.isActive) {
            throw new ForbiddenException(ADMIN_REQUIRED);
          }
          if (!target) {
            throw new NotFoundException('User not found');
          }
          wasActive = target.isActive;
          return changeFor(action, actor, target);
        },
        tx,
      );
      if (action === 'activate' && !wasActive) {
        await this.mail.enqueue(accountActivatedEmail(user, this.config.publicUrl), tx);
      }
      return user;
    });
    this.securityLog.log('admin_action', {
      ip,
      action,
      actor_id: actorId,
      target_id: updated.id,
      target_email: updated.email,
      is_active: updated.isActive,
      is_superuser: updated.isSuperuser,
    });
    return updated;
  }
}

/** What an action changes, or why it is refused (400). */
export function changeFor(
  action: AdminAction,
  actor: User,
  target: User,
): Partial<Pick<User, 'status' | 'isSuperuser'>> {
  const isSelf = actor.id === target.id;
  switch (action) {
    case 'activate':
      return { status: 'active' };
    case 'deactivate':
      if (isSelf) throw new BadRequestException('Cannot deactivate your own account');
      return { status: 'deactivated' };
    case 'promote':
      if (target.isSuperuser) throw new BadRequestException('User is already an admin');
      return { isSuperuser: true };
    case 'demote':
      if (isSelf) throw new BadRequestException('Cannot demote yourself');
      if (!target.isSuperuser) throw new BadRequestException('User is not an admin');
      return { isSuperuser: false };
  }
}
