import { User } from '../../database/entities/user.entity';
import { MailMessage } from '../../mail/mail-message';
import { pageLink, renderEmail } from '../../mail/template';
import { describeDuration } from './duration';

/** Sent to the owner when repeated failed logins lock the account; the link resets the password and unlocks it. */
export function accountLockedEmail(
  user: Pick<User, 'email' | 'fullName'>,
  lockedUntil: Date,
  resetToken: string,
  resetTtlSeconds: number,
  publicUrl: string,
): MailMessage {
  return renderEmail(
    {
      subject: 'Your account was locked',
      greeting: `Hello ${user.fullName},`,
      paragraphs: [
        `After too many failed sign-in attempts, your account ${user.email} is locked until ` +
          `${lockedUntil.toISOString()} (UTC).`,
        'If these attempts were not yours, someone may be guessing your password. Choosing a new password ' +
          'unlocks the account at once.',
      ],
      action: { label: 'Choose a new password', url: pageLink(publicUrl, '/reset-password', resetToken) },
      closing: `The link works once and for ${describeDuration(resetTtlSeconds)}.`,
    },
    { kind: 'account_locked', to: user.email },
    publicUrl,
  );
}
