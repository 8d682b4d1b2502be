import { User } from '../../database/entities/user.entity';
import { MailMessage } from '../../mail/mail-message';
import { renderEmail } from '../../mail/template';

/** Sent when an admin activates an account that was not active (a pending sign-up or a deactivated account). */
export function accountActivatedEmail(user: Pick<User, 'email' | 'fullName'>, publicUrl: string): MailMessage {
  return renderEmail(
    {
      subject: 'Your account is active',
      greeting: `Hello ${user.fullName},`,
      paragraphs: [`An administrator has activated your account ${user.email}. You can sign in now.`],
      action: { label: 'Sign in', url: `${publicUrl}/login` },
    },
    { kind: 'account_activated', to: user.email },
    publicUrl,
  );
}
