import { Injectable } from '@nestjs/common';
import { EntityManager } from 'typeorm';
import { AppConfig } from '../config/app-config';
import { InjectConfig } from '../config/config.module';
import { User } from '../database/entities/user.entity';
import { MailService } from '../mail/mail.service';
import { AccountMailer } from './account-mailer.service';
import { AccountUsersRepository } from './account-users.repository';
import { signupDigestEmail } from './emails/signup-digest.email';
import { signupNoticeEmail } from './emails/signup-notice.email';
import { SignupNoticesRepository } from './signup-notices.repository';

/** A digest names at most this many sign-ups (the oldest), and says how many more wait. */
export const DIGEST_MAX_LISTED = 100;

/**
 * What a sign-up causes by e-mail, queued in the sign-up's own transaction: the verification link to the
 * new user (EMAIL_VERIFICATION not `off`) and, for a sign-up that waits for approval, the admins' notice
 * (ADMIN_NOTIFY: one e-mail per sign-up, or a place in the next digest, which sendDigestIfDue sends).
 */
@Injectable()
export class SignupNoticesService {
  constructor(
    private readonly mailer: AccountMailer,
    private readonly mail: MailService,
    private readonly users: AccountUsersRepository,
    private readonly notices: SignupNoticesRepository,
    @InjectConfig() private readonly config: AppConfig,
  ) {}

  async onSignUp(user: User, tx: EntityManager): Promise<void> {
    const { verification, adminNotify } = this.config.accountEmail;
    if (verification !== 'off') await this.mailer.sendVerification(user, tx);
    if (user.status !== 'pending') return;
    if (adminNotify === 'each') {
      for (const admin of await this.users.findActiveSuperusers(tx)) {
        await this.mail.enqueue(signupNoticeEmail(admin, user, this.config.publicUrl), tx);
      }
    } else if (adminNotify === 'digest') {
      await this.notices.queue(user.id, tx);
    }
  }

  /** One digest to every active superuser, if one is due (see SignupNoticesRepository.withDueDigest). */
  sendDigestIfDue(): Promise<void> {
    return this.notices.withDueDigest(this.config.accountEmail.adminNotifyIntervalSeconds, async (tx) => {
      const pending = await this.notices.findPendingSignups(DIGEST_MAX_LISTED, tx);
      const admins = await this.users.findActiveSuperusers(tx);
      if (pending.total === 0 || admins.length === 0) return false;
      for (const admin of admins) {
        await this.mail.enqueue(signupDigestEmail(admin, pending.items, pending.total, this.config.publicUrl), tx);
      }
      return true;
    });
  }
}
