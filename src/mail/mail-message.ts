/** Every kind of e-mail the service sends; stored with each outbox row and named in the logs. */
export type MailKind =
  | 'account_activated'
  | 'email_verification'
  | 'password_reset'
  | 'account_locked'
  | 'signup_notice'
  | 'signup_digest'
  | 'invitation'
  | 'new_device'
  | 'sip_account_alert';

/** One rendered e-mail: the sender comes from MAIL_FROM when it is sent. */
export interface MailMessage {
  kind: MailKind;
  to: string;
  subject: string;
  text: string;
  html: string;
}
