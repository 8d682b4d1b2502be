import { Injectable, NotFoundException } from '@nestjs/common';
import { SecurityLogService } from '../common/security-log.service';
import { User } from '../database/entities/user.entity';
import { Transactions } from '../database/transactions';
import { AdminFactorPolicy } from './admin-factor-policy.service';
import { PasskeysRepository, PasskeySummary } from './passkeys.repository';

export const PASSKEY_NOT_FOUND = 'Passkey not found';

/** A user's own passkeys once added: listed, renamed, removed. */
@Injectable()
export class PasskeysService {
  constructor(
    private readonly passkeys: PasskeysRepository,
    private readonly transactions: Transactions,
    private readonly policy: AdminFactorPolicy,
    private readonly securityLog: SecurityLogService,
  ) {}

  list(user: User): Promise<PasskeySummary[]> {
    return this.passkeys.listOfUser(user.id);
  }

  /** 404 for an unknown id or another user's passkey. */
  async rename(user: User, id: string, name: string): Promise<PasskeySummary> {
    const renamed = await this.passkeys.rename(id, user.id, name);
    if (!renamed) throw new NotFoundException(PASSKEY_NOT_FOUND);
    return renamed;
  }

  /** 404 for an unknown id or another user's passkey; 409 for the last factor of an admin who needs one. */
  async remove(user: User, id: string, ip: string): Promise<void> {
    const name = await this.transactions.run(async (tx) => {
      await this.policy.lockFactorsOf(user.id, tx);
      const removed = await this.passkeys.deleteOwn(id, user.id, tx);
      if (removed === undefined) throw new NotFoundException(PASSKEY_NOT_FOUND);
      await this.policy.refuseLeavingUnprotected(user.id, 'passkey', tx);
      return removed;
    });
    this.securityLog.log('passkey_removed', { ip, email: user.email, user_id: user.id, passkey_id: id, name });
  }
}
