import { BadRequestException, ForbiddenException, Injectable, NotFoundException } from '@nestjs/common';
import { InjectDataSource, InjectRepository } from '@nestjs/typeorm';
import { DataSource, In, Not, Repository } from 'typeorm';
import { ADMIN_REQUIRED } from '../auth/auth.service';
import { SecurityLogService } from '../common/security-log.service';
import { Page } from '../common/total-count';
import { User } from '../database/entities/user.entity';
import { InactiveStatus } from './dto/list-inactive-users-query.dto';

export type AdminAction = 'activate' | 'deactivate' | 'promote' | 'demote';

@Injectable()
export class AdminUsersService {
  constructor(
    @InjectRepository(User) private readonly users: Repository<User>,
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly securityLog: SecurityLogService,
  ) {}

  async list(skip: number, limit: number): Promise<Page<User>> {
    const [items, total] = await this.users.findAndCount({
      order: { createdAt: 'ASC', id: 'ASC' },
      skip,
      take: limit,
    });
    return { items, total };
  }

  /** Inactive users, oldest first: the approval queue when narrowed to `pending`. */
  async listInactive(skip: number, limit: number, status?: InactiveStatus): Promise<Page<User>> {
    const [items, total] = await this.users.findAndCount({
      where: { status: status ?? Not(In(['active'])) },
      order: { createdAt: 'ASC', id: 'ASC' },
      skip,
      take: limit,
    });
    return { items, total };
  }

  /**
   * Applies an admin action inside a transaction that locks the actor's and the target's rows, so that two
   * admins demoting or deactivating each other at once cannot both succeed and leave no admin behind.
   */
  async apply(action: AdminAction, actorId: string, targetId: string, ip: string): Promise<User> {
    const updated = await this.dataSource.transaction(async (manager) => {
      const rows = await manager
        .getRepository(User)
        .createQueryBuilder('user')
        .where('user.id IN (:...ids)', { ids: [actorId, targetId] })
        .orderBy('user.id')
        .setLock('pessimistic_write')
        .getMany();
      const actor = rows.find((row) => row.id === actorId);
      const target = rows.find((row) => row.id === targetId);
      if (!actor?.isSuperuser || !actor.isActive) {
        throw new ForbiddenException(ADMIN_REQUIRED);
      }
      if (!target) {
        throw new NotFoundException('User not found');
      }
      const change = this.changeFor(action, actor, target);
      await manager.getRepository(User).update(target.id, change);
      return manager.getRepository(User).findOneByOrFail({ id: target.id });
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

  private changeFor(action: AdminAction, actor: User, target: User): Partial<User> {
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
}
