import { Injectable } from '@nestjs/common';
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
 * never the sign-in; queued in the sign-in's own transaction (tell()).
 */
@Injectable()
export class NewDeviceNoticesService {
  constructor(
    private readonly mail: MailService,
    @InjectConfig() private readonly config: AppConfig,
  ) {}

  /** Whether this user's sign-in from a new device is to be told (shouldTellNewDevice). */
  applies(user: Pick<User, 'lastLoginAt'>): boolean {
    return shouldTellNewDevice(user, this.config.accountEmail.newDeviceNotices);
  }

  /**
   * Queues the e-mail in the sign-in's transaction: the notice is stored exactly when the sign-in is, and takes
   * no second pooled connection while the transaction holds one (queued beside it, a burst of new-device
   * sign-ins on one instance could wait on the pool for each other's notices until its timeout, and then lose
   * them). A failure to queue fails the transaction, as a failure of any of its writes does.
   */
  async tell(
    user: SignedInUser,
    client: { ip: string; userAgent?: string | null },
    at: Date,
    tx: EntityManager,
  ): Promise<void> {
    const place = { at, ip: client.ip, browser: describeUserAgent(client.userAgent) };
    await this.mail.enqueue(newDeviceEmail(user, place, this.config.publicUrl), tx);
  }
}
