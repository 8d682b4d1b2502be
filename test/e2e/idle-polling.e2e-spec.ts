import { Client } from 'pg';
import { ADMIN, closeAll, startTestApp, TestApp } from '../support/test-app';
import { SmtpSink } from '../support/smtp-sink';
import { mailTo, sleep, waitFor } from '../support/wait';

jest.setTimeout(90_000);

/** Transactions committed or rolled back in the test's database so far (every connection's, flushed ones). */
async function transactions(t: TestApp): Promise<number> {
  const { rows } = await t.db.query<{ n: string }>(
    `SELECT (xact_commit + xact_rollback)::text AS n FROM pg_stat_database WHERE datname = current_database()`,
  );
  return Number(rows[0].n);
}

/** Reads of the account watch's, the outbox's and the e-mail link requests' tables so far. */
async function pollerReads(t: TestApp): Promise<Record<string, number>> {
  const { rows } = await t.db.query<{ relname: string; n: number }>(
    `SELECT relname, (coalesce(seq_scan, 0) + coalesce(idx_scan, 0))::int AS n FROM pg_stat_user_tables
      WHERE relname IN ('sip_account_watch_state', 'mail_outbox', 'account_email_requests')`,
  );
  return Object.fromEntries(rows.map(({ relname, n }) => [relname, n]));
}

/** Milliseconds from now until `probe` finds something, polled every 20 ms. */
async function msUntil(probe: () => Promise<boolean>, timeoutMs = 15_000): Promise<number> {
  const startedAt = Date.now();
  while (!(await probe())) {
    if (Date.now() - startedAt > timeoutMs) throw new Error('condition not met in time');
    await sleep(20);
  }
  return Date.now() - startedAt;
}

describe('An idle instance (the pollers wake on NOTIFY, the auth heartbeat sleeps)', () => {
  const sink = new SmtpSink();
  let t: TestApp;

  beforeAll(async () => {
    await sink.start();
    // The default MAIL_POLL_INTERVAL_MS (1 s), as shipped: the promise under test.
    t = await startTestApp({ env: { SMTP_URL: sink.url, EMAIL_VERIFICATION: 'off', ADMIN_NOTIFY: 'off' } });
  });
  afterAll(async () => {
    await closeAll(t);
    await sink.stop();
  });

  it('neither looks at the event tables, the account watch nor the outbox every tick, nor sends heartbeats', async () => {
    // A backend's counters reach pg_stat_database up to 10 s after its transactions (when it next idles):
    // the start's own work, and the heartbeats of its first 10 s, must be counted before the window opens.
    await sleep(22_000);
    const [xactsBefore, readsBefore] = [await transactions(t), await pollerReads(t)];
    await sleep(10_000);
    const [xactsAfter, readsAfter] = [await transactions(t), await pollerReads(t)];
    // Before the wake-ups: the watch read its state 4 times a second, the outbox once (40 and 10 here); now a
    // safety look every 10 s and every 60 s.
    expect(readsAfter.sip_account_watch_state - readsBefore.sip_account_watch_state).toBeLessThanOrEqual(3);
    expect(readsAfter.mail_outbox - readsBefore.mail_outbox).toBeLessThanOrEqual(3);
    expect(readsAfter.account_email_requests - readsBefore.account_email_requests).toBeLessThanOrEqual(3);
    // ~17 a second before (the engine and the watch 4 each, the outbox 1, the auth heartbeat ~6.7 sent and as
    // many read back, the feed puller and the e-mail link requests 1 each); ~1.5 now.
    expect((xactsAfter - xactsBefore) / 10).toBeLessThan(5);
  });

  it('bans a source whose events the proxy inserted with plain SQL within the engine’s quarter second', async () => {
    await t.db.query(
      `INSERT INTO failed_registrations (username, domain, source_ip, response_code)
       SELECT '1000', 'sip.example.com', '192.0.2.201', 403 FROM generate_series(1, 5)`,
    );
    const ms = await msUntil(async () => {
      const { rows } = await t.db.query(`SELECT 1 FROM sip_bans WHERE cidr = '192.0.2.201/32'`);
      return rows.length > 0;
    });
    // 250 ms tick + the look; the margin is for a busy 2-core machine.
    expect(ms).toBeLessThan(1000);
  });

  it('raises the alert of a success the proxy inserted with plain SQL within a second', async () => {
    await t.db.query(
      `INSERT INTO failed_registrations (username, domain, source_ip, response_code)
       VALUES ('2000', 'sip.example.com', '198.51.100.202', 403)`,
    );
    await t.db.query(
      `INSERT INTO registration_successes (username, domain, source_ip) VALUES ('2000', 'sip.example.com', '198.51.100.202')`,
    );
    const ms = await msUntil(async () => {
      const { rows } = await t.db.query(
        `SELECT 1 FROM sip_account_alerts WHERE username = '2000' AND kind = 'credential_compromise'`,
      );
      return rows.length > 0;
    });
    expect(ms).toBeLessThan(1000);
  });

  it('sends a message queued with plain SQL, or left due by a crashed instance, within MAIL_POLL_INTERVAL_MS', async () => {
    const queue = (recipient: string) =>
      t.db.query(
        `INSERT INTO mail_outbox (kind, recipient, subject, text_body, html_body)
         VALUES ('account_activated', $1, 'idle test', 'text', '<p>html</p>')`,
        [recipient],
      );
    await queue('queued@example.com');
    let startedAt = Date.now();
    await mailTo(sink, 'queued@example.com', 'idle test');
    expect(Date.now() - startedAt).toBeLessThan(2000);

    // Another instance took a message and died holding it: its row is pending and due, and no new
    // notification will come. This worker, told of it, keeps looking until it can send it.
    const crashed = new Client({ connectionString: t.databaseUrl });
    await crashed.connect();
    await crashed.query('BEGIN');
    await queue('crashed@example.com');
    await crashed.query(`SELECT id FROM mail_outbox WHERE recipient = 'crashed@example.com' FOR UPDATE`);
    await sleep(3000);
    expect(sink.to('crashed@example.com')).toHaveLength(0);
    startedAt = Date.now();
    await crashed.end();
    await waitFor(async () => (sink.to('crashed@example.com').length > 0 ? true : undefined), 5000);
    expect(Date.now() - startedAt).toBeLessThan(2000);
  });

  it('handles a forgot-password request left stored by a crashed instance within MAIL_POLL_INTERVAL_MS', async () => {
    // The instance that stored it died before handling it: only the others' wake-up can find it.
    await t.db.query(`INSERT INTO account_email_requests (kind, email) VALUES ('password_reset', $1)`, [ADMIN.email]);
    const startedAt = Date.now();
    await mailTo(sink, ADMIN.email, 'Reset your password');
    expect(Date.now() - startedAt).toBeLessThan(2000);
  });
});
