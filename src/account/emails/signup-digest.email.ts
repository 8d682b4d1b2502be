import { User } from '../../database/entities/user.entity';
import { MailMessage } from '../../mail/mail-message';
import { renderEmail } from '../../mail/template';

/** ADMIN_NOTIFY=digest: the sign-ups still waiting (the oldest `listed`, of `total`), to one active superuser. */
export function signupDigestEmail(
  admin: Pick<User, 'email' | 'fullName'>,
  listed: Array<Pick<User, 'email' | 'fullName' | 'createdAt'>>,
  total: number,
  publicUrl: string,
): MailMessage {
  const lines = listed.map(
    (signup) => `${signup.fullName} <${signup.email}>, signed up ${signup.createdAt.toISOString()}`,
  );
  if (total > listed.length) lines.push(`... and ${total - listed.length} more.`);
  return renderEmail(
    {
      subject: `${total} sign-up${total === 1 ? ' is' : 's are'} waiting for approval`,
      greeting: `Hello ${admin.fullName},`,
      paragraphs: [`${total === 1 ? 'This sign-up waits' : 'These sign-ups wait'} for an administrator:`, ...lines],
      action: { label: 'Review pending sign-ups', url: `${publicUrl}/admin/pending` },
    },
    { kind: 'signup_digest', to: admin.email },
    publicUrl,
  );
}
