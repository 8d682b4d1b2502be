import { BadRequestException, Injectable } from '@nestjs/common';
import { sha256 } from '../common/secret-token';
import { SecurityLogService } from '../common/security-log.service';
import { User } from '../database/entities/user.entity';
import { Transactions } from '../database/transactions';
import { AccountUsersRepository } from './account-users.repository';
import { EmailTokensRepository } from './email-tokens.repository';

export const INVALID_TOKEN = 'Invalid or expired token';

/** Confirms addresses with the link sent at sign-up (new links on request: AccountEmailRequestsService). */
@Injectable()
export class EmailVerificationService {
  constructor(
    private readonly tokens: EmailTokensRepository,
    private readonly users: AccountUsersRepository,
    private readonly transactions: Transactions,
    private readonly securityLog: SecurityLogService,
  ) {}

  /** Spends the token and marks its user's address verified; 400 for a bad, spent or expired token. */
  async verify(token: string, ip: string): Promise<User> {
    const user = await this.transactions.run(async (tx) => {
      const userId = await this.tokens.consume('email_verification', sha256(token), tx);
      return userId === undefined ? null : this.users.markEmailVerified(userId, tx);
    });
    if (!user) throw new BadRequestException(INVALID_TOKEN);
    this.securityLog.log('email_verified', { ip, user_id: user.id, email: user.email });
    return user;
  }
}
