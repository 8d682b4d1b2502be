import { AddressInfo } from 'node:net';
import { SMTPServer } from 'smtp-server';
import { sleep } from './wait';

export interface ReceivedMail {
  from: string;
  to: string[];
  /** The whole message as it arrived, transfer encodings undone for reading links (see decodeQuotedPrintable). */
  raw: string;
  subject: string;
}

/**
 * A real SMTP server (the smtp-server package) that keeps what it receives. It can be stopped and started
 * again on the same port, to play an outage.
 */
export class SmtpSink {
  readonly received: ReceivedMail[] = [];
  private server?: SMTPServer;
  private boundPort = 0;

  get port(): number {
    return this.boundPort;
  }

  get url(): string {
    return `smtp://127.0.0.1:${this.boundPort}`;
  }

  async start(): Promise<void> {
    const server = new SMTPServer({
      authOptional: true,
      // Plain SMTP on loopback: the test checks delivery, not TLS.
      disabledCommands: ['STARTTLS'],
      // stop() plays an outage: the service's pooled connection is cut at once, not after 30 s of grace.
      closeTimeout: 100,
      logger: false,
      onData: (stream, session, callback) => {
        const chunks: Buffer[] = [];
        stream.on('data', (chunk: Buffer) => chunks.push(chunk));
        stream.on('end', () => {
          const raw = decodeQuotedPrintable(Buffer.concat(chunks).toString('utf8'));
          this.received.push({
            from: session.envelope.mailFrom ? session.envelope.mailFrom.address : '',
            to: session.envelope.rcptTo.map((recipient) => recipient.address),
            raw,
            subject: /^Subject: (.*)$/m.exec(raw)?.[1] ?? '',
          });
          callback();
        });
      },
    });
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(this.boundPort, '127.0.0.1', () => resolve());
    });
    this.boundPort = (server.server.address() as AddressInfo).port;
    this.server = server;
  }

  async stop(): Promise<void> {
    const server = this.server;
    this.server = undefined;
    if (server) await new Promise<void>((resolve) => server.close(() => resolve()));
  }

  /** The messages to one address. */
  to(address: string): ReceivedMail[] {
    return this.received.filter((mail) => mail.to.includes(address));
  }

  /** Waits until `count` messages have reached `address`, then returns them. */
  async waitFor(address: string, count = 1, timeoutMs = 15_000): Promise<ReceivedMail[]> {
    const deadline = Date.now() + timeoutMs;
    while (this.to(address).length < count) {
      if (Date.now() > deadline) {
        throw new Error(`${this.to(address).length} of ${count} e-mails reached ${address} in ${timeoutMs} ms`);
      }
      await sleep(50);
    }
    return this.to(address);
  }
}

/** Undoes quoted-printable soft line breaks and escapes, so that a long link reads as one string. */
export function decodeQuotedPrintable(text: string): string {
  return text
    .replace(/=\r?\n/g, '')
    .replace(/=([0-9A-F]{2})/g, (_match, hex: string) => String.fromCharCode(parseInt(hex, 16)));
}

/** The first link to `page` (e.g. `/reset-password`) in a message, with its token. */
export function linkIn(mail: ReceivedMail, page: string): { url: string; token: string } {
  const match = new RegExp(`(https?://[^\\s"<]*${page}\\?token=([A-Za-z0-9_%-]+))`).exec(mail.raw);
  if (!match) throw new Error(`No ${page} link in the e-mail "${mail.subject}"`);
  return { url: match[1], token: decodeURIComponent(match[2]) };
}
