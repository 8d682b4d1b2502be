import { User } from '../../database/entities/user.entity';
import { MailMessage } from '../../mail/mail-message';
import { pageLink, renderEmail } from '../../mail/template';
import { describeDuration } from './duration';

/** Sent on a forgot-password request for an existing account, and when an admin sends the user a reset. */
export function passwordResetEmail(
  user: Pick<User, 'email' | 'fullName'>,
  token: string,
  ttlSeconds: number,
  publicUrl: string,
): MailMessage {
  return renderEmail(
    {
      subject: 'Reset your password',
      greeting: `Hello ${user.fullName},`,
      paragraphs: [`Someone asked to reset the password of your account ${user.email}.`],
      action: { label: 'Choose a new password', url: pageLink(publicUrl, '/reset-password', token) },
      closing:
        `The link works once and for ${describeDuration(ttlSeconds)}; a newer request replaces it. ` +
        'If you did not ask, ignore this e-mail: your password stays as it is.',
    },
    { kind: 'password_reset', to: user.email },
    publicUrl,
  );
}
