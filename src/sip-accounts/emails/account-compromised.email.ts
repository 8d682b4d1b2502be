import { User } from '../../database/entities/user.entity';
import { MailMessage } from '../../mail/mail-message';
import { renderEmail } from '../../mail/template';
import { AccountAlert } from '../account-alerts.repository';

/** To every active superuser when a SIP account's password is known to an attacker. */
export function accountCompromisedEmail(
  admin: Pick<User, 'email' | 'fullName'>,
  alert: AccountAlert,
  consequences: string[],
  publicUrl: string,
): MailMessage {
  return renderEmail(
    {
      subject: `SIP account ${alert.username}@${alert.domain} compromised`,
      greeting: `Hello ${admin.fullName},`,
      paragraphs: [
        `The SIP account ${alert.username}@${alert.domain} registered successfully from ${alert.sourceIp} at ` +
          `${new Date(alert.createdAt).toISOString()} (UTC), a source that was guessing passwords: its password is ` +
          'known to an attacker.',
        ...consequences,
        'Change the account password, then unblock the account in the console.',
      ],
      action: { label: 'Review account alerts', url: `${publicUrl}/admin/sip` },
    },
    { kind: 'sip_account_alert', to: admin.email },
    publicUrl,
  );
}
