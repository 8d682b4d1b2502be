import { Injectable, Logger } from '@nestjs/common';
import { EntityManager } from 'typeorm';
import { AppConfig } from '../config/app-config';
import { InjectConfig } from '../config/config.module';
import { User } from '../database/entities/user.entity';
import { MailService } from '../mail/mail.service';
import { newDeviceEmail } from './new-device.email';
import { describeUserAgent } from './user-agent';

/** The owner, as the rule and the e-mail need them; `lastLoginAt` as it was before this sign-in. */
export type SignedInUser = Pick<User, 'id' | 'email' | 'fullName' | 'lastLoginAt'>;

/**
 * Whether a sign-in from a device new to the account is told to its owner: not when NEW_DEVICE_NOTICES is
 * off, and not on the account's very first sign-in, which has no device to compare with (the owner has just
 * signed up, accepted an invitation or been created by an admin).
 */
export function shouldTellNewDevice(user: Pick<User, 'lastLoginAt'>, noticesOn: boolean): boolean {
  return noticesOn && user.lastLoginAt !== null;
}

/**
 * Tells the owner of a sign-in from a device the account had not used before (time, IP, browser, and a link
 * to the account page, where sessions end). Queued in the outbox, so an SMTP outage delays the e-mail and
 * never the sign-in; queued in the sign-in's own transaction when there is one (tell()).
 */
@Injectable()
export class NewDeviceNoticesService {
  private readonly logger = new Logger(NewDeviceNoticesService.name);

  constructor(
    private readonly mail: MailService,
    @InjectConfig() private readonly config: AppConfig,
  ) {}

  /** Whether this user's sign-in from a new device is to be told (shouldTellNewDevice). */
  applies(user: Pick<User, 'lastLoginAt'>): boolean {
    return shouldTellNewDevice(user, this.config.accountEmail.newDeviceNotices);
  }

  /**
   * Queues the e-mail; returns whether it was queued. In the sign-in's transaction (`tx`) the notice is stored
   * exactly when the sign-in is, and takes no second pooled connection while the transaction holds one (a
   * burst of new-device sign-ins on one instance waited on the pool for each other's notices until its
   * timeout, and then lost them); a failure to queue then fails the transaction, as a failure of any of its
   * writes does. Without one, a failure is logged and the sign-in goes on.
   */
  async tell(
    user: SignedInUser,
    client: { ip: string; userAgent?: string | null },
    at: Date,
    tx?: EntityManager,
  ): Promise<boolean> {
    const place = { at, ip: client.ip, browser: describeUserAgent(client.userAgent) };
    const message = newDeviceEmail(user, place, this.config.publicUrl);
    if (tx) {
      await this.mail.enqueue(message, tx);
      return true;
    }
    try {
      await this.mail.enqueue(message);
      return true;
    } catch (error) {
      this.logger.error(`New-device e-mail for user ${user.id} not queued: ${(error as Error).message}`);
      return false;
    }
  }
}
