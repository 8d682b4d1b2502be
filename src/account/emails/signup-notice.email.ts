import { User } from '../../database/entities/user.entity';
import { MailMessage } from '../../mail/mail-message';
import { renderEmail } from '../../mail/template';

/** ADMIN_NOTIFY=each: one e-mail to each active superuser per sign-up waiting for approval. */
export function signupNoticeEmail(
  admin: Pick<User, 'email' | 'fullName'>,
  signup: Pick<User, 'email' | 'fullName' | 'createdAt'>,
  publicUrl: string,
): MailMessage {
  return renderEmail(
    {
      subject: 'A sign-up is waiting for approval',
      greeting: `Hello ${admin.fullName},`,
      paragraphs: [`${signup.fullName} <${signup.email}> signed up at ${signup.createdAt.toISOString()} (UTC).`],
      action: { label: 'Review pending sign-ups', url: `${publicUrl}/admin/pending` },
    },
    { kind: 'signup_notice', to: admin.email },
    publicUrl,
  );
}
