import { Injectable } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { EntityManager, QueryFailedError, Repository } from 'typeorm';
import { User, UserStatus } from '../database/entities/user.entity';

const UNIQUE_VIOLATION = '23505';

/** insertUser's answer when the e-mail is taken: the unique index, not a check-then-insert, decides. */
export class EmailTakenError extends Error {
  constructor(email: string) {
    super(`${email} is already registered`);
  }
}

export interface NewUser {
  email: string;
  fullName: string;
  hashedPassword: string;
  status: UserStatus;
  isSuperuser: boolean;
  /** Left false for sign-ups (they get a verification link); true for admins an operator provisions. */
  emailVerified?: boolean;
}

/**
 * The users table as sign-up, login, token authentication and admin provisioning use it. E-mails given
 * to it are already normalised (see normalizeEmail).
 */
@Injectable()
export class UsersRepository {
  constructor(@InjectRepository(User) private readonly users: Repository<User>) {}

  /** The user with this e-mail, password hash included: only for checking a password. */
  findByEmailWithPassword(email: string): Promise<User | null> {
    return this.users.findOneBy({ email });
  }

  existsByEmail(email: string): Promise<boolean> {
    return this.users.existsBy({ email });
  }

  /** Whether a user has this id: admins' routes about a user answer 404 for an unknown one. */
  existsById(id: string): Promise<boolean> {
    return this.users.existsBy({ id });
  }

  existsSuperuser(): Promise<boolean> {
    return this.users.existsBy({ isSuperuser: true });
  }

  /**
   * A user without the password hash, as one plain primary-key query: it runs on every authenticated
   * request, where TypeORM's findOneBy cost ~4× as much CPU per call (docs/BENCHMARKS.md).
   */
  async loadById(id: string): Promise<User | null> {
    const rows: Array<Record<string, unknown>> = await this.users.query(
      `SELECT id, email, full_name, status, is_superuser, created_at, updated_at, last_login_at, email_verified,
              locked_until, mfa_enabled
         FROM users WHERE id = $1`,
      [id],
    );
    if (rows.length === 0) return null;
    const [row] = rows;
    return this.users.create({
      id: row.id as string,
      email: row.email as string,
      fullName: row.full_name as string,
      status: row.status as UserStatus,
      isSuperuser: row.is_superuser as boolean,
      createdAt: row.created_at as Date,
      updatedAt: row.updated_at as Date,
      lastLoginAt: row.last_login_at as Date | null,
      emailVerified: row.email_verified as boolean,
      lockedUntil: row.locked_until as Date | null,
      mfaEnabled: row.mfa_enabled as boolean,
    });
  }

  /** Notes a successful login; updated_at is left alone (it tracks changes to the account). */
  async recordLogin(id: string, tx?: EntityManager): Promise<void> {
    await (tx ?? this.users.manager).query('UPDATE users SET last_login_at = now() WHERE id = $1', [id]);
  }

  /**
   * Inserts a user, inside `tx` when given; throws EmailTakenError when the e-mail is registered (concurrent
   * sign-ups included).
   */
  async insertUser(user: NewUser, tx?: EntityManager): Promise<User> {
    const users = tx ? tx.getRepository(User) : this.users;
    try {
      return await users.save(users.create(user));
    } catch (error) {
      if (error instanceof QueryFailedError && (error.driverError as { code?: string }).code === UNIQUE_VIOLATION) {
        throw new EmailTakenError(user.email);
      }
      throw error;
    }
  }

  /** Makes the user an active superuser, inside `tx`; false when there is no such user. */
  async makeActiveSuperuser(id: string, tx: EntityManager): Promise<boolean> {
    const result = await tx.getRepository(User).update(id, { isSuperuser: true, status: 'active' });
    return result.affected === 1;
  }
}
