import { Injectable } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { EntityManager, Repository } from 'typeorm';
import { User } from '../database/entities/user.entity';

/** The users table as the e-mail flows and lockout see it. E-mails given to it are already normalised. */
@Injectable()
export class AccountUsersRepository {
  constructor(@InjectRepository(User) private readonly users: Repository<User>) {}

  findByEmail(email: string, tx?: EntityManager): Promise<User | null> {
    return (tx ? tx.getRepository(User) : this.users).findOneBy({ email });
  }

  findById(id: string, tx?: EntityManager): Promise<User | null> {
    return (tx ? tx.getRepository(User) : this.users).findOneBy({ id });
  }

  /** Marks the address verified and returns the user as stored, or null when the user is gone. */
  async markEmailVerified(id: string, tx: EntityManager): Promise<User | null> {
    await tx.query('UPDATE users SET email_verified = true, updated_at = now() WHERE id = $1', [id]);
    return this.findById(id, tx);
  }

  /**
   * Stores a new password hash. `viaEmailLink`: the owner proved the mailbox by following a reset link, so
   * the address is verified too, and any lockout ends (the owner is back in control of the account).
   */
  async setPassword(id: string, hashedPassword: string, viaEmailLink: boolean, tx: EntityManager): Promise<void> {
    await tx.query(
      viaEmailLink
        ? `UPDATE users SET hashed_password = $2, email_verified = true, failed_login_count = 0, lockout_count = 0,
                  locked_until = NULL, updated_at = now()
            WHERE id = $1`
        : 'UPDATE users SET hashed_password = $2, updated_at = now() WHERE id = $1',
      [id, hashedPassword],
    );
  }

  /** Every active superuser: the recipients of sign-up notices. */
  findActiveSuperusers(tx: EntityManager): Promise<User[]> {
    return tx.getRepository(User).find({
      where: { isSuperuser: true, status: 'active' },
      order: { createdAt: 'ASC', id: 'ASC' },
    });
  }
}
