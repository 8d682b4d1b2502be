import { Logger } from '@nestjs/common';
import { randomBytes } from 'node:crypto';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { createTransport, Transporter } from 'nodemailer';
import { MailMessage } from './mail-message';

/** Hands one rendered e-mail on: to an SMTP server, or to a file. Throws when it could not. */
export abstract class MailTransport {
  abstract send(message: MailMessage): Promise<void>;
  abstract close(): void;
}

/** Bounds on each SMTP conversation, so that an unresponsive server fails the attempt instead of hanging it. */
const SMTP_TIMEOUTS = { connectionTimeout: 10_000, greetingTimeout: 10_000, socketTimeout: 30_000 };

/**
 * SMTP_URL as nodemailer reads it: `smtps://` speaks TLS from the start (port 465 by default); `smtp://`
 * upgrades with STARTTLS when the server offers it (`?requireTLS=true` in the URL makes that mandatory).
 */
export class SmtpMailTransport extends MailTransport {
  private readonly transporter: Transporter;

  constructor(
    smtpUrl: string,
    private readonly from: string,
  ) {
    super();
    // Pooled: a connection (and its STARTTLS or TLS handshake) serves many messages instead of one each;
    // with a new one per message the outbox sent about 10 messages/s (npm run bench:mail).
    this.transporter = createTransport({ url: smtpUrl, pool: true, ...SMTP_TIMEOUTS });
  }

  async send(message: MailMessage): Promise<void> {
    await this.transporter.sendMail({
      from: this.from,
      to: message.to,
      subject: message.subject,
      text: message.text,
      html: message.html,
    });
  }

  close(): void {
    this.transporter.close();
  }
}

/**
 * Without SMTP_URL: each e-mail becomes an RFC 5322 `.eml` file under DATA_DIR/mail/ (as Django's file
 * backend does), so a first start needs nothing set up and a developer can open what was sent. The log
 * line names the file only: the message itself may hold a live link.
 */
export class FileMailTransport extends MailTransport {
  private readonly logger = new Logger('Mail');
  private readonly builder = createTransport({ streamTransport: true, buffer: true, newline: 'windows' });

  constructor(
    private readonly directory: string,
    private readonly from: string,
  ) {
    super();
  }

  async send(message: MailMessage): Promise<void> {
    const built = (await this.builder.sendMail({
      from: this.from,
      to: message.to,
      subject: message.subject,
      text: message.text,
      html: message.html,
    })) as { message: Buffer };
    await mkdir(this.directory, { recursive: true, mode: 0o700 });
    const stamp = new Date().toISOString().replace(/[:.]/g, '-');
    const file = join(this.directory, `${stamp}-${message.kind}-${randomBytes(4).toString('hex')}.eml`);
    await writeFile(file, built.message, { mode: 0o600 });
    this.logger.log(`E-mail "${message.kind}" written to ${file}`);
  }

  close(): void {
    this.builder.close();
  }
}
