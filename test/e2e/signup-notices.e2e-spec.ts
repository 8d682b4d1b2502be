import { SmtpSink } from '../support/smtp-sink';
import { ADMIN, closeAll, newUser, startTestApp, TestApp } from '../support/test-app';
import { waitFor } from '../support/wait';

jest.setTimeout(60_000);

const BASE = {
  MAIL_POLL_INTERVAL_MS: '100',
  REGISTER_RATE_LIMIT: '1000',
  LOGIN_RATE_LIMIT: '1000',
  REGISTRATION_MODE: 'approval',
  EMAIL_VERIFICATION: 'off',
  PUBLIC_URL: 'https://shield.example',
};

/** A second active superuser (the first is ADMIN), who must get the notices too. */
async function secondAdmin(t: TestApp): Promise<string> {
  const admin = newUser();
  const created = await t.http.post('/api/auth/register').send(admin).expect(201);
  const token = await t.login(ADMIN.email, ADMIN.password);
  for (const action of ['activate', 'promote']) {
    await t.http
      .post(`/api/admin/users/${created.body.id as string}/${action}`)
      .set('Authorization', `Bearer ${token}`)
      .expect(200);
  }
  return admin.email;
}

describe('Sign-up notices to admins: ADMIN_NOTIFY=each', () => {
  const sink = new SmtpSink();
  let t: TestApp;

  beforeAll(async () => {
    await sink.start();
    t = await startTestApp({ env: { ...BASE, ADMIN_NOTIFY: 'each', SMTP_URL: sink.url } });
  });
  afterAll(async () => {
    await closeAll(t);
    await sink.stop();
  });

  it('e-mails every active superuser once per pending sign-up, with the sign-up escaped and a link', async () => {
    const other = await secondAdmin(t);
    const signup = newUser({ full_name: 'Mallory <script>' });
    await t.http.post('/api/auth/register').send(signup).expect(201);
    for (const admin of [ADMIN.email, other]) {
      const mail = await waitFor(async () => sink.to(admin).find((received) => received.raw.includes(signup.email)));
      expect(mail.subject).toBe('[regshield] A sign-up is waiting for approval');
      expect(mail.raw).toContain('Mallory &lt;script&gt;');
      expect(mail.raw).not.toContain('Mallory <script></p>');
      expect(mail.raw).toContain('https://shield.example/admin/pending');
    }
    const { rows } = await t.db.query(`SELECT recipient FROM mail_outbox WHERE kind = 'signup_notice'`);
    expect(rows.length).toBe(3);
  });
});

describe('Sign-up notices to admins: ADMIN_NOTIFY=digest, two instances', () => {
  const sink = new SmtpSink();
  let first: TestApp;
  let second: TestApp;
  const env = () => ({ ...BASE, ADMIN_NOTIFY: 'digest', ADMIN_NOTIFY_INTERVAL: '3', SMTP_URL: sink.url });

  beforeAll(async () => {
    await sink.start();
    first = await startTestApp({ env: env() });
    second = await startTestApp({ databaseUrl: first.databaseUrl, env: env() });
  });
  afterAll(async () => {
    await closeAll(first, second);
    await sink.stop();
  });

  const digests = (address: string) => sink.to(address).filter((mail) => mail.subject.includes('waiting for approval'));

  it('sends one digest per interval to each admin, coalescing every sign-up that came meanwhile', async () => {
    const firstSignup = newUser();
    await first.http.post('/api/auth/register').send(firstSignup).expect(201);
    await waitFor(async () => (digests(ADMIN.email).length >= 1 ? true : undefined), 10_000);
    const [opening] = digests(ADMIN.email);
    expect(opening.subject).toBe('[regshield] 1 sign-up is waiting for approval');
    expect(opening.raw).toContain(firstSignup.email);
    expect(opening.raw).toContain('https://shield.example/admin/pending');

    const burst = [newUser(), newUser(), newUser()];
    for (const [index, signup] of burst.entries()) {
      await (index % 2 === 0 ? first : second).http.post('/api/auth/register').send(signup).expect(201);
    }
    await waitFor(async () => (digests(ADMIN.email).length >= 2 ? true : undefined), 15_000);
    const coalesced = digests(ADMIN.email)[1];
    expect(coalesced.subject).toBe('[regshield] 4 sign-ups are waiting for approval');
    for (const signup of [firstSignup, ...burst]) expect(coalesced.raw).toContain(signup.email);

    // Nothing new is waiting to be told: no third digest, however long both instances keep looking.
    const { rows } = await first.db.query<{ seconds: number }>(
      `SELECT EXTRACT(EPOCH FROM now() - last_digest_at)::float AS seconds FROM admin_notice_state`,
    );
    await new Promise((resolve) => setTimeout(resolve, Math.max(0, (3.5 - rows[0].seconds) * 1000)));
    const { rows: queued } = await first.db.query(`SELECT 1 FROM mail_outbox WHERE kind = 'signup_digest'`);
    expect(queued).toHaveLength(2);
    expect(digests(ADMIN.email)).toHaveLength(2);
  });
});
