import { User } from '../../database/entities/user.entity';
import { MailMessage } from '../../mail/mail-message';
import { pageLink, renderEmail } from '../../mail/template';
import { describeDuration } from './duration';

/** Sent at sign-up (and on request) when EMAIL_VERIFICATION is not `off`: proves the address is the user's. */
export function verifyEmailEmail(
  user: Pick<User, 'email' | 'fullName'>,
  token: string,
  ttlSeconds: number,
  publicUrl: string,
): MailMessage {
  return renderEmail(
    {
      subject: 'Confirm your e-mail address',
      greeting: `Hello ${user.fullName},`,
      paragraphs: [`Please confirm that ${user.email} is your address by opening the link below.`],
      action: { label: 'Confirm my address', url: pageLink(publicUrl, '/verify-email', token) },
      closing: `The link works once and for ${describeDuration(ttlSeconds)}. If you did not sign up, ignore this e-mail.`,
    },
    { kind: 'email_verification', to: user.email },
    publicUrl,
  );
}
