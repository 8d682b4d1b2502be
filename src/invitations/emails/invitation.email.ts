import { describeDuration } from '../../account/emails/duration';
import { MailMessage } from '../../mail/mail-message';
import { pageLink, PRODUCT_NAME, renderEmail } from '../../mail/template';

/** Sent when an admin invites an address: the link lets its owner choose a name and password. */
export function invitationEmail(
  email: string,
  asSuperuser: boolean,
  token: string,
  ttlSeconds: number,
  publicUrl: string,
): MailMessage {
  const role = asSuperuser ? 'an administrator account' : 'an account';
  return renderEmail(
    {
      subject: 'You are invited',
      greeting: 'Hello,',
      paragraphs: [`You are invited to ${role} on ${PRODUCT_NAME} at ${publicUrl}, for ${email}.`],
      action: { label: 'Accept the invitation', url: pageLink(publicUrl, '/accept-invite', token) },
      closing:
        `The link works once and for ${describeDuration(ttlSeconds)}. ` +
        'If you did not expect this invitation, ignore this e-mail: no account is made without you.',
    },
    { kind: 'invitation', to: email },
    publicUrl,
  );
}
