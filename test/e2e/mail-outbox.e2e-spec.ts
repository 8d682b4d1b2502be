import { mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { OutboxRetentionService, SENT_MAIL_KEEP_DAYS } from '../../src/mail/outbox-retention.service';
import { ADMIN, closeAll, newUser, startTestApp, TestApp } from '../support/test-app';
import { SmtpSink } from '../support/smtp-sink';
import { eventually } from '../support/wait';

jest.setTimeout(60_000);

/** Only the activation notice is sent here: the outbox is under test, not the sign-up e-mails. */
const FAST_MAIL = {
  MAIL_POLL_INTERVAL_MS: '100',
  MAIL_RETRY_BASE_MS: '200',
  REGISTER_RATE_LIMIT: '1000',
  EMAIL_VERIFICATION: 'off',
  ADMIN_NOTIFY: 'off',
};

/** Signs a user up (pending, REGISTRATION_MODE=approval) and has the admin activate it: one e-mail to the user. */
async function signUpAndActivate(t: TestApp, overrides: Record<string, unknown> = {}) {
  const body = newUser(overrides);
  const created = await t.http.post('/api/auth/register').send(body).expect(201);
  const token = await t.login(ADMIN.email, ADMIN.password);
  await t.http
    .post(`/api/admin/users/${created.body.id as string}/activate`)
    .set('Authorization', `Bearer ${token}`)
    .expect(200);
  return body;
}

async function outboxRow(t: TestApp, recipient: string) {
  const { rows } = await t.db.query<{ status: string; attempts: number; text_body: string | null }>(
    'SELECT status, attempts, text_body FROM mail_outbox WHERE recipient = $1',
    [recipient],
  );
  return rows[0];
}

describe('Mail over SMTP through the outbox (real SMTP server)', () => {
  const sink = new SmtpSink();
  let t: TestApp;

  beforeAll(async () => {
    await sink.start();
    t = await startTestApp({
      env: {
        ...FAST_MAIL,
        SMTP_URL: sink.url,
        MAIL_FROM: 'Shield <shield@example.com>',
        PUBLIC_URL: 'https://shield.example',
      },
    });
  });
  afterAll(async () => {
    await closeAll(t);
    await sink.stop();
  });

  it('tells an activated user by e-mail: text and HTML parts, user values escaped, body erased once sent', async () => {
    const user = await signUpAndActivate(t, { full_name: 'Ann <b>Bold</b> & Co' });
    const [mail] = await sink.waitFor(user.email);
    expect(mail.from).toBe('shield@example.com');
    expect(mail.raw).toMatch(/^From: Shield <shield@example\.com>/m);
    expect(mail.subject).toBe('[regshield] Your account is active');
    expect(mail.raw).toContain('Content-Type: text/plain');
    expect(mail.raw).toContain('Content-Type: text/html');
    expect(mail.raw).toContain('Hello Ann &lt;b&gt;Bold&lt;/b&gt; &amp; Co,');
    expect(mail.raw).not.toContain('<b>Bold</b></p>');
    expect(mail.raw).toContain('https://shield.example/login');
    const row = await eventually(async () => {
      const current = await outboxRow(t, user.email);
      return current?.status === 'sent' ? current : undefined;
    });
    expect(row).toMatchObject({ attempts: 1, text_body: null });
  });

  it('sends no second notice when an active user is activated again', async () => {
    const user = await signUpAndActivate(t);
    await sink.waitFor(user.email);
    const { rows } = await t.db.query('SELECT id FROM users WHERE email = $1', [user.email]);
    const token = await t.login(ADMIN.email, ADMIN.password);
    await t.http
      .post(`/api/admin/users/${rows[0].id as string}/activate`)
      .set('Authorization', `Bearer ${token}`)
      .expect(200);
    const { rows: queued } = await t.db.query('SELECT 1 FROM mail_outbox WHERE recipient = $1', [user.email]);
    expect(queued).toHaveLength(1);
  });

  it('keeps a message while SMTP is down and delivers it once the server is back', async () => {
    await sink.stop();
    const user = await signUpAndActivate(t);
    await eventually(async () => ((await outboxRow(t, user.email))?.attempts ?? 0) >= 2);
    expect(await outboxRow(t, user.email)).toMatchObject({ status: 'pending' });
    expect(sink.to(user.email)).toHaveLength(0);
    await sink.start();
    const mails = await sink.waitFor(user.email);
    expect(mails).toHaveLength(1);
    await eventually(async () => (await outboxRow(t, user.email))?.status === 'sent');
  });

  it('deletes sent messages once they are older than the days kept, and keeps the rest', async () => {
    const old = await signUpAndActivate(t);
    const recent = await signUpAndActivate(t);
    await eventually(async () => (await outboxRow(t, recent.email))?.status === 'sent');
    await eventually(async () => (await outboxRow(t, old.email))?.status === 'sent');
    await t.db.query(`UPDATE mail_outbox SET sent_at = now() - make_interval(days => $1 + 1) WHERE recipient = $2`, [
      SENT_MAIL_KEEP_DAYS,
      old.email,
    ]);
    await t.app.get(OutboxRetentionService).prune();
    expect(await outboxRow(t, old.email)).toBeUndefined();
    expect(await outboxRow(t, recent.email)).toMatchObject({ status: 'sent' });
  });
});

describe('Mail that keeps failing', () => {
  const sink = new SmtpSink();
  let t: TestApp;

  beforeAll(async () => {
    // A port that nothing listens on: started once to get a free port, then stopped.
    await sink.start();
    await sink.stop();
    t = await startTestApp({ env: { ...FAST_MAIL, SMTP_URL: sink.url, MAIL_MAX_ATTEMPTS: '2' } });
  });
  afterAll(() => closeAll(t));

  it('ends as failed after MAIL_MAX_ATTEMPTS, with a mail_failed security event', async () => {
    const user = await signUpAndActivate(t);
    await eventually(async () => (await outboxRow(t, user.email))?.status === 'failed');
    expect(await outboxRow(t, user.email)).toMatchObject({ attempts: 2 });
    const failed = await eventually(() => t.securityEvents().find((event) => event.event === 'mail_failed'));
    expect(failed).toMatchObject({ level: 'warn', kind: 'account_activated', email: user.email, attempts: 2 });
    expect(failed.reason).toEqual(expect.any(String));
  });
});

describe('Two instances on one outbox', () => {
  const sink = new SmtpSink();
  let first: TestApp;
  let second: TestApp;

  beforeAll(async () => {
    await sink.start();
    first = await startTestApp({ env: { ...FAST_MAIL, SMTP_URL: sink.url } });
    second = await startTestApp({ databaseUrl: first.databaseUrl, env: { ...FAST_MAIL, SMTP_URL: sink.url } });
  });
  afterAll(async () => {
    await closeAll(first, second);
    await sink.stop();
  });

  it('sends each message exactly once', async () => {
    const count = 60;
    await first.db.query(
      `INSERT INTO mail_outbox (kind, recipient, subject, text_body, html_body)
       SELECT 'account_activated', 'race' || n || '@example.com', 'race ' || n, 'text', '<p>html</p>'
         FROM generate_series(1, $1::int) AS n`,
      [count],
    );
    await eventually(async () => {
      const { rows } = await first.db.query<{ n: number }>(
        `SELECT count(*)::int AS n FROM mail_outbox WHERE status = 'sent'`,
      );
      return rows[0].n === count;
    }, 30_000);
    // Anything sent twice would have arrived by now: the second send happens before the row is marked sent.
    const recipients = sink.received.flatMap((mail) => mail.to);
    expect(recipients).toHaveLength(count);
    expect(new Set(recipients).size).toBe(count);
  });
});

describe('Mail without SMTP_URL: .eml files under DATA_DIR/mail', () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'regshield-mail-'));
  let t: TestApp;

  beforeAll(async () => {
    t = await startTestApp({ env: { ...FAST_MAIL, DATA_DIR: dataDir } });
  });
  afterAll(() => closeAll(t));

  it('writes each message as an RFC 5322 file with both parts, and logs no link', async () => {
    const user = await signUpAndActivate(t);
    const directory = join(dataDir, 'mail');
    const file = await eventually(() => {
      try {
        return readdirSync(directory).find((name) => /-account_activated-[0-9a-f]+\.eml$/.test(name));
      } catch {
        return undefined;
      }
    });
    const text = readFileSync(join(directory, file), 'utf8');
    expect(text).toMatch(/^From: regshield <no-reply@localhost>\r$/m);
    expect(text).toMatch(new RegExp(`^To: ${user.email.replace(/[.]/g, '\\.')}\\r$`, 'm'));
    expect(text).toMatch(/^Subject: \[regshield\] Your account is active\r$/m);
    expect(text).toMatch(/^Message-ID: </m);
    expect(text).toContain('Content-Type: text/plain');
    expect(text).toContain('Content-Type: text/html');
    expect(t.securityLogText()).not.toContain('/login');
  });
});
