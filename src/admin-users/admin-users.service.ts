import {
  BadRequestException,
  ForbiddenException,
  HttpException,
  Injectable,
  Logger,
  NotFoundException,
} from '@nestjs/common';
import { AuditTrail } from '../audit/audit-trail.service';
import { ADMIN_REQUIRED } from '../auth/guards/superuser.guard';
import { isDatabaseUnavailable } from '../common/database-unavailable';
import { isWellFormedId } from '../common/id-param.pipes';
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

/** What became of one id of a bulk action: the user as changed, or the single route's error status and message. */
export type BulkOutcome =
  { id: string; ok: true; user: User } | { id: string; ok: false; statusCode: number; message: string };

const USER_NOT_FOUND = 'User not found';

/**
 * Admins' listings and their activate / deactivate / promote / demote rules, each action logged; a user
 * whose account becomes active is told by e-mail.
 */
@Injectable()
export class AdminUsersService {
  private readonly logger = new Logger(AdminUsersService.name);

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
      await record('admin_action', {
        ip,
        action,
        actor_id: actorId,
        target_id: user.id,
        target_email: user.email,
        is_active: user.isActive,
        is_superuser: user.isSuperuser,
      });
      return user;
    });
  }

  /**
   * Applies one action to each id in turn, through apply() and so exactly as the single route would: same
   * rules, same row locks, same audit row and log line, same e-mail. Each id is its own transaction (its
   * change and its audit row together), so one id's refusal undoes nothing done for the others. They run
   * one after another, not at once: every one locks the actor's row, so they would queue there anyway, and
   * an actor demoted half-way is refused for the rest.
   * Once the database stops answering (503), or something unexpected fails (500, logged), the remaining ids
   * are not attempted and get the same answer, while those done before keep theirs.
   */
  async applyToEach(action: AdminAction, actorId: string, ids: string[], ip: string): Promise<BulkOutcome[]> {
    const outcomes: BulkOutcome[] = [];
    let halted: { statusCode: number; message: string } | undefined;
    for (const id of ids) {
      if (halted) {
        outcomes.push({ id, ok: false, ...halted });
      } else if (!(await isWellFormedId(id))) {
        outcomes.push({ id, ok: false, statusCode: 404, message: USER_NOT_FOUND });
      } else {
        try {
          outcomes.push({ id, ok: true, user: await this.apply(action, actorId, id, ip) });
        } catch (error) {
          if (error instanceof HttpException) {
            outcomes.push({ id, ok: false, statusCode: error.getStatus(), message: error.message });
            continue;
          }
          halted = isDatabaseUnavailable(error)
            ? { statusCode: 503, message: 'Database unavailable' }
            : { statusCode: 500, message: 'Internal server error' };
          const detail = error instanceof Error ? (error.stack ?? error.message) : String(error);
          if (halted.statusCode === 503) this.logger.warn(`Bulk ${action} halted, database unavailable: ${detail}`);
          else this.logger.error(`Bulk ${action} halted: ${detail}`);
          outcomes.push({ id, ok: false, ...halted });
        }
      }
    }
    return outcomes;
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
