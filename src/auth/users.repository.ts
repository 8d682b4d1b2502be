import { Injectable } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { EntityManager, QueryFailedError, Repository } from 'typeorm';
import { User, UserStatus } from '../database/entities/user.entity';
import {
  DeviceLookup,
  KNOWN_DEVICE_COLUMNS,
  KnownDevice,
  knownDeviceOf,
  KnownDeviceRow,
} from '../devices/known-devices.repository';
import { prepared } from '../database/prepared-statements';

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
 * What a successful sign-in writes to the user's row (recordLogin): whether the account's failure count and
 * lock growth start over, and the lock the sign-in is held to, refused if it is in force when the row is
 * written: the account's own, a known device's (by its id), or none (lockout off).
 */
export interface LoginRecord {
  startFailuresOver: boolean;
  refusedWhileLocked: 'account' | { deviceId: string } | undefined;
}

/** The columns a User is loaded with (the lockout counts stay out, as the entity's `select: false` says). */
const USER_COLUMNS = `id, email, full_name, status, is_superuser, created_at, updated_at, last_login_at, email_verified,
  locked_until, mfa_enabled`;

interface UserRow {
  id: string;
  email: string;
  full_name: string;
  status: UserStatus;
  is_superuser: boolean;
  created_at: Date;
  updated_at: Date;
  last_login_at: Date | null;
  email_verified: boolean;
  locked_until: Date | null;
  mfa_enabled: boolean;
  hashed_password?: string;
}

/**
 * The users table as sign-up, login, token authentication and admin provisioning use it. E-mails given
 * to it are already normalised (see normalizeEmail).
 */
@Injectable()
export class UsersRepository {
  constructor(@InjectRepository(User) private readonly users: Repository<User>) {}

  /**
   * The user with this e-mail, password hash included: only for checking a password (login has its own,
   * findForLogin).
   */
  async findByEmailWithPassword(email: string): Promise<User | null> {
    const rows: UserRow[] = await this.users.query(
      prepared(`SELECT ${USER_COLUMNS}, hashed_password FROM users WHERE email = $1`),
      [email],
    );
    return rows.length === 0 ? null : this.toUser(rows[0]);
  }

  /**
   * What a password login needs, in one query: the user with this e-mail, password hash included, and the
   * known device of that user the device cookie names (`device`), if it was used since `device.usedSince`;
   * KnownDevicesService.recognise() asks the same of the device alone. A plain query, as loadById: it runs on
   * every login, where findOneBy's query building and entity mapping cost more CPU than the round trip.
   */
  async findForLogin(
    email: string,
    device: DeviceLookup | undefined,
  ): Promise<{ user: User | null; device: KnownDevice | undefined }> {
    const rows: Array<UserRow & KnownDeviceRow> = await this.users.query(
      prepared(`SELECT u.*, ${KNOWN_DEVICE_COLUMNS}
         FROM (SELECT ${USER_COLUMNS}, hashed_password FROM users WHERE email = $1) u
         LEFT JOIN known_devices d ON d.id = $2 AND d.user_id = $3 AND d.user_id = u.id AND d.last_used_at > $4`),
      [email, device?.deviceId ?? null, device?.userId ?? null, device?.usedSince ?? null],
    );
    return rows.length === 0
      ? { user: null, device: undefined }
      : { user: this.toUser(rows[0]), device: knownDeviceOf(rows[0]) };
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
    const rows: UserRow[] = await this.users.query(prepared(`SELECT ${USER_COLUMNS} FROM users WHERE id = $1`), [id]);
    return rows.length === 0 ? null : this.toUser(rows[0]);
  }

  /**
   * Notes a successful login; updated_at is left alone (it tracks changes to the account). With
   * `startFailuresOver`, the lockout counts (LockoutRepository's columns) start over in the same write: the
   * row is written anyway, so clearing them costs no statement of its own. Likewise the lock the sign-in is
   * held to (`refusedWhileLocked`) is checked again in the same write, as it stands now, not as the login read
   * it before the password was verified: nothing is written, and false returned, if that lock is in force (or
   * the user is gone). The account's own lock is a condition on the row, re-checked on its newest version when
   * the UPDATE waited for a transaction that locked the account; a known device's is read from its row, which
   * this transaction wrote first if it wrote it (KnownDevicesRepository's lock order), else as last committed,
   * through regshield_device_locked() (migration DeviceLockedFunction): a subquery would make the auth-state
   * cache drop every user it holds at each such login (LocalWritesSubscriber reads only plain shapes).
   */
  async recordLogin(id: string, record: LoginRecord, tx: EntityManager): Promise<boolean> {
    const { startFailuresOver, refusedWhileLocked } = record;
    const set = startFailuresOver
      ? 'last_login_at = now(), failed_login_count = 0, lockout_count = 0'
      : 'last_login_at = now()';
    const [unlessLocked, parameters] =
      refusedWhileLocked === undefined
        ? ['', [id]]
        : refusedWhileLocked === 'account'
          ? [' AND (locked_until IS NULL OR locked_until <= now())', [id]]
          : [' AND NOT regshield_device_locked($2)', [id, refusedWhileLocked.deviceId]];
    const [, affected]: [unknown, number] = await tx.query(
      prepared(`UPDATE users SET ${set} WHERE id = $1${unlessLocked}`),
      parameters,
    );
    return affected === 1;
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

  /** The entity of a row of USER_COLUMNS, with the password hash when the row has it. */
  private toUser(row: UserRow): User {
    return this.users.create({
      id: row.id,
      email: row.email,
      fullName: row.full_name,
      status: row.status,
      isSuperuser: row.is_superuser,
      createdAt: row.created_at,
      updatedAt: row.updated_at,
      lastLoginAt: row.last_login_at,
      emailVerified: row.email_verified,
      lockedUntil: row.locked_until,
      mfaEnabled: row.mfa_enabled,
      ...(row.hashed_password === undefined ? {} : { hashedPassword: row.hashed_password }),
    });
  }

  /** Makes the user an active superuser, inside `tx`; false when there is no such user. */
  async makeActiveSuperuser(id: string, tx: EntityManager): Promise<boolean> {
    const result = await tx.getRepository(User).update(id, { isSuperuser: true, status: 'active' });
    return result.affected === 1;
  }
}
