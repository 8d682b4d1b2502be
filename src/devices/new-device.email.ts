import { User } from '../database/entities/user.entity';
import { MailMessage } from '../mail/mail-message';
import { renderEmail } from '../mail/template';

/** Where a sign-in came from, as the owner is told it. */
export interface SignInPlace {
  at: Date;
  ip: string;
  /** The User-Agent as a person reads it (describeUserAgent). */
  browser: string;
}

/** Sent to the owner after a successful sign-in from a device the account had not used before. */
export function newDeviceEmail(
  user: Pick<User, 'email' | 'fullName'>,
  place: SignInPlace,
  publicUrl: string,
): MailMessage {
  return renderEmail(
    {
      subject: 'New sign-in to your account',
      greeting: `Hello ${user.fullName},`,
      paragraphs: [
        `Your account ${user.email} was just signed in to from a device it had not used before:`,
        `Time: ${place.at.toISOString()} (UTC)`,
        `IP address: ${place.ip}`,
        `Browser: ${place.browser}`,
        'If this was you, there is nothing to do. If it was not, someone knows your password: end that ' +
          'session on your account page and choose a new password.',
      ],
      action: { label: 'Review where you are signed in', url: `${publicUrl}/account` },
    },
    { kind: 'new_device', to: user.email },
    publicUrl,
  );
}
