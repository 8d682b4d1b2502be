import { Injectable } from '@nestjs/common';
import { InjectDataSource, InjectRepository } from '@nestjs/typeorm';
import { DataSource, EntityManager, FindOptionsWhere, ILike, In, Not, Repository } from 'typeorm';
import { Page } from '../common/total-count';
import { User, UserStatus } from '../database/entities/user.entity';
import { InactiveStatus } from './dto/list-inactive-users-query.dto';

/** What an admin's change does to the target, decided from both rows as locked; see changeWithBothLocked. */
export type UserChange = (
  actor: User | undefined,
  target: User | undefined,
) => Partial<Pick<User, 'status' | 'isSuperuser'>>;

/** Filters of the admin's user listing; each one given narrows it. */
export interface UserFilter {
  /** Found anywhere in the e-mail or the full name, case-insensitively, every character taken literally. */
  text?: string;
  status?: UserStatus;
  isSuperuser?: boolean;
}

/** The users table as the admin routes see it: listings, and changes made under row locks. */
@Injectable()
export class AdminUsersRepository {
  constructor(
    @InjectRepository(User) private readonly users: Repository<User>,
    @InjectDataSource() private readonly dataSource: DataSource,
  ) {}

  /**
   * The users matching the filter, oldest first. The text search is an ILIKE on each column, which the
   * trigram indexes of migration UserSearchIndexes serve (a sequential scan where pg_trgm is missing).
   */
  async findPage(skip: number, limit: number, filter: UserFilter = {}): Promise<Page<User>> {
    const exact: FindOptionsWhere<User> = {
      ...(filter.status !== undefined ? { status: filter.status } : {}),
      ...(filter.isSuperuser !== undefined ? { isSuperuser: filter.isSuperuser } : {}),
    };
    const pattern = filter.text ? containsPattern(filter.text) : undefined;
    const [items, total] = await this.users.findAndCount({
      where: pattern
        ? [
            { ...exact, email: ILike(pattern) },
            { ...exact, fullName: ILike(pattern) },
          ]
        : exact,
      order: { createdAt: 'ASC', id: 'ASC' },
      skip,
      take: limit,
    });
    return { items, total };
  }

  findById(id: string): Promise<User | null> {
    return this.users.findOneBy({ id });
  }

  /** Inactive users (or those of one inactive status), oldest first. */
  async findInactivePage(skip: number, limit: number, status?: InactiveStatus): Promise<Page<User>> {
    const [items, total] = await this.users.findAndCount({
      where: { status: status ?? Not(In(['active'])) },
      order: { createdAt: 'ASC', id: 'ASC' },
      skip,
      take: limit,
    });
    return { items, total };
  }

  /**
   * In one transaction: locks the actor's and the target's rows (in id order, so that two admins acting
   * on each other wait instead of deadlocking), asks `change` what to do with them (it throws to refuse,
   * and must refuse a missing row), applies it and returns the target as stored. Two admins demoting or deactivating each other
   * at once therefore cannot both succeed and leave no admin behind. Inside `tx` when given (so that what
   * the change causes, such as an e-mail, commits with it).
   */
  changeWithBothLocked(actorId: string, targetId: string, change: UserChange, tx?: EntityManager): Promise<User> {
    const work = async (manager: EntityManager) => {
      const users = manager.getRepository(User);
      const rows = await users.find({
        where: { id: In([actorId, targetId]) },
        order: { id: 'ASC' },
        lock: { mode: 'pessimistic_write' },
      });
      const update = change(
        rows.find((row) => row.id === actorId),
        rows.find((row) => row.id === targetId),
      );
      await users.update(targetId, update);
      return users.findOneByOrFail({ id: targetId });
    };
    return tx ? work(tx) : this.dataSource.transaction(work);
  }

  /**
   * Locks the actor's and the targets' rows until `tx` ends, in id order (as changeWithBothLocked locks its
   * two, so that a bulk action and single ones wait for each other instead of deadlocking), and returns them.
   */
  lockActorAndTargets(actorId: string, targetIds: string[], tx: EntityManager): Promise<User[]> {
    return tx.getRepository(User).find({
      where: { id: In([actorId, ...targetIds]) },
      order: { id: 'ASC' },
      lock: { mode: 'pessimistic_write' },
    });
  }

  /** Applies one change to every user given, in one UPDATE inside `tx`, and returns them as stored. */
  async changeAll(
    ids: string[],
    change: Partial<Pick<User, 'status' | 'isSuperuser'>>,
    tx: EntityManager,
  ): Promise<User[]> {
    if (ids.length === 0) return [];
    const users = tx.getRepository(User);
    await users.update({ id: In(ids) }, change);
    return users.findBy({ id: In(ids) });
  }
}

/**
 * A LIKE pattern matching `text` anywhere, its own `%`, `_` and `\` taken literally (backslash is
 * PostgreSQL's default LIKE escape character).
 */
export function containsPattern(text: string): string {
  return `%${text.replace(/[\\%_]/g, '\\$&')}%`;
}
