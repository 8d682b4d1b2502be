import { BadRequestException, ForbiddenException, Injectable, NotFoundException } from '@nestjs/common';
import { AuditTrail } from '../audit/audit-trail.service';
import { ADMIN_REQUIRED } from '../auth/guards/superuser.guard';
import { SecurityEventFields } from '../common/security-log.service';
import { Page } from '../common/total-count';
import { AppConfig } from '../config/app-config';
import { InjectConfig } from '../config/config.module';
import { User } from '../database/entities/user.entity';
import { MailService } from '../mail/mail.service';
import { AdminUsersRepository, UserFilter } from './admin-users.repository';
import { InactiveStatus } from './dto/list-inactive-users-query.dto';
import { accountActivatedEmail } from './emails/account-activated.email';

export const ADMIN_ACTIONS = ['activate', 'deactivate', 'promote', 'demote'] as const;
export type AdminAction = (typeof ADMIN_ACTIONS)[number];

export const USER_NOT_FOUND = 'User not found';

/**
 * Admins' listings and their activate / deactivate / promote / demote rules, each action logged; a user
 * whose account becomes active is told by e-mail.
 */
@Injectable()
export class AdminUsersService {
  constructor(
    private readonly users: AdminUsersRepository,
    private readonly auditTrail: AuditTrail,
    private readonly mail: MailService,
    @InjectConfig() private readonly config: AppConfig,
  ) {}

  /** Users matching every filter given (none: all users), oldest first. */
  list(skip: number, limit: number, filter: UserFilter = {}): Promise<Page<User>> {
    return this.users.findPage(skip, limit, filter);
  }

  async get(id: string): Promise<User> {
    const user = await this.users.findById(id);
    if (!user) throw new NotFoundException(USER_NOT_FOUND);
    return user;
  }

  /** Inactive users, oldest first: the approval queue when narrowed to `pending`. */
  listInactive(skip: number, limit: number, status?: InactiveStatus): Promise<Page<User>> {
    return this.users.findInactivePage(skip, limit, status);
  }

  /**
   * Applies an admin action, decided on the actor's and target's rows as locked (see changeWithBothLocked);
   * the activation notice is queued and the audit row stored in the same transaction, so each exists
   * exactly when the change does.
   */
  apply(action: AdminAction, actorId: string, targetId: string, ip: string): Promise<User> {
    return this.auditTrail.run(async (tx, record) => {
      let wasActive = false;
      const user = await this.users.changeWithBothLocked(
        actorId,
        targetId,
        (actor, target) => {
          if (!actor?.isSuperuser || !actor.isActive) {
            throw new ForbiddenException(ADMIN_REQUIRED);
          }
          if (!target) {
            throw new NotFoundException(USER_NOT_FOUND);
          }
          wasActive = target.isActive;
          return changeFor(action, actor, target);
        },
        tx,
      );
      if (action === 'activate' && !wasActive) {
        await this.mail.enqueue(accountActivatedEmail(user, this.config.publicUrl), tx);
      }
      await record('admin_action', adminActionFields(action, actorId, user, ip));
      return user;
    });
  }
}

/** The fields of an action's `admin_action` event: one per user changed, single or bulk. */
export function adminActionFields(action: AdminAction, actorId: string, user: User, ip: string): SecurityEventFields {
  return {
    ip,
    action,
    actor_id: actorId,
    target_id: user.id,
    target_email: user.email,
    is_active: user.isActive,
    is_superuser: user.isSuperuser,
  };
}

/** What each action changes, whoever the target: the same for every id of a bulk action. */
const CHANGES: Record<AdminAction, Partial<Pick<User, 'status' | 'isSuperuser'>>> = {
  activate: { status: 'active' },
  deactivate: { status: 'deactivated' },
  promote: { isSuperuser: true },
  demote: { isSuperuser: false },
};

/** What an action changes, or why it is refused (400). */
export function changeFor(
  action: AdminAction,
  actor: User,
  target: User,
): Partial<Pick<User, 'status' | 'isSuperuser'>> {
  const refusal = refusalOf(action, actor, target);
  if (refusal !== undefined) throw new BadRequestException(refusal);
  return changeOf(action);
}

export function changeOf(action: AdminAction): Partial<Pick<User, 'status' | 'isSuperuser'>> {
  return { ...CHANGES[action] };
}

/** Why the actor may not apply the action to this target (the message of the 400), or undefined when it may. */
export function refusalOf(action: AdminAction, actor: User, target: User): string | undefined {
  const isSelf = actor.id === target.id;
  switch (action) {
    case 'activate':
      return undefined;
    case 'deactivate':
      return isSelf ? 'Cannot deactivate your own account' : undefined;
    case 'promote':
      return target.isSuperuser ? 'User is already an admin' : undefined;
    case 'demote':
      if (isSelf) return 'Cannot demote yourself';
      return target.isSuperuser ? undefined : 'User is not an admin';
  }
}
