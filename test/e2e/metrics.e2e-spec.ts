import { randomUUID } from 'node:crypto';
import { createServer } from 'node:net';
import { BanEngineService } from '../../src/sip-security/ban-engine.service';
import { doorKnock, failedRegistration } from '../support/sip-events';
import { eventually } from '../support/wait';
import { ADMIN, credentials, newUser, startTestApp, TestApp } from '../support/test-app';

interface Sample {
  labels: Record<string, string>;
  value: number;
}

/** The samples of one metric in a Prometheus text exposition. */
function samples(text: string, name: string): Sample[] {
  const line = new RegExp(`^${name}(?:\\{(.*)\\})? (\\S+)$`);
  return text.split('\n').flatMap((row) => {
    const match = line.exec(row);
    if (match === null) return [];
    const labels = Object.fromEntries(
      [...(match[1] ?? '').matchAll(/(\w+)="((?:[^"\\]|\\.)*)"/g)].map((l) => [l[1], l[2]]),
    );
    return [{ labels, value: Number(match[2]) }];
  });
}

/** The value of the one sample of `name` whose labels include `labels` (0 when there is none yet). */
function value(text: string, name: string, labels: Record<string, string> = {}): number {
  const matching = samples(text, name).filter((sample) =>
    Object.entries(labels).every(([key, wanted]) => sample.labels[key] === wanted),
  );
  if (matching.length > 1) throw new Error(`${matching.length} series of ${name} match ${JSON.stringify(labels)}`);
  return matching[0]?.value ?? 0;
}

function freePort(): Promise<number> {
  return new Promise((done) => {
    const server = createServer().listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => done(port));
    });
  });
}

describe('GET /metrics (real HTTP, real PostgreSQL)', () => {
  let t: TestApp;
  let adminToken: string;
  const auth = (token: string) => ({ Authorization: `Bearer ${token}` });
  const scrape = async () => (await t.http.get('/metrics').expect(200)).text;

  beforeAll(async () => {
    t = await startTestApp({ env: { REGISTER_RATE_LIMIT: '1000', LOGIN_RATE_LIMIT: '1000' } });
    adminToken = await t.login(ADMIN.email, ADMIN.password);
  });
  afterAll(() => t.close());

  it('answers Prometheus text with our metrics and the process defaults, without a token when none is set', async () => {
    const response = await t.http.get('/metrics').expect(200);
    expect(response.headers['content-type']).toMatch(/^text\/plain; version=0\.0\.4/);
    for (const name of [
      'regshield_http_requests_total',
      'regshield_http_request_duration_seconds',
      'regshield_logins_total',
      'regshield_registrations_total',
      'regshield_sip_bans_created_total',
      'regshield_api_keys_rejected_total',
      'regshield_rate_limit_hits_total',
      'regshield_sip_events_ingested_total',
      'regshield_sip_active_bans',
      'regshield_ban_engine_lag_seconds',
      'regshield_db_pool_connections',
      'regshield_mail_outbox_pending',
      'regshield_mail_deliveries_total',
      'regshield_database_up',
      'regshield_sip_proxy_in_step',
      'process_cpu_user_seconds_total',
      'nodejs_eventloop_lag_seconds',
    ]) {
      expect(response.text).toContain(`# TYPE ${name} `);
    }
    expect(value(response.text, 'regshield_db_pool_connections', { state: 'total' })).toBeGreaterThan(0);
    expect(value(response.text, 'regshield_database_up')).toBe(1);
  });

  it('labels requests by route template, method and status: two ids make one series, never a raw URL', async () => {
    const before = await scrape();
    const route = '/api/admin/users/:id/activate';
    const [first, second] = [randomUUID(), randomUUID()];
    for (const id of [first, second]) {
      await t.http.post(`/api/admin/users/${id}/activate`).set(auth(adminToken)).expect(404);
    }
    const unknownPath = `/no-such-route-${randomUUID()}`;
    await t.http.get(unknownPath).expect(404);
    const after = await scrape();

    const labels = { method: 'POST', route, status_code: '404' };
    expect(
      value(after, 'regshield_http_requests_total', labels) - value(before, 'regshield_http_requests_total', labels),
    ).toBe(2);
    expect(
      value(after, 'regshield_http_request_duration_seconds_count', labels) -
        value(before, 'regshield_http_request_duration_seconds_count', labels),
    ).toBe(2);
    expect(
      value(after, 'regshield_http_request_duration_seconds_bucket', { ...labels, le: '+Inf' }),
    ).toBeGreaterThanOrEqual(2);
    const unmatched = { method: 'GET', route: 'unmatched', status_code: '404' };
    expect(value(after, 'regshield_http_requests_total', unmatched)).toBeGreaterThanOrEqual(1);
    for (const raw of [first, second, unknownPath]) expect(after).not.toContain(raw);
  });

  it('counts logins and registrations by result from the security events', async () => {
    const before = await scrape();
    const pending = newUser();
    await t.http.post('/api/auth/register').send(pending).expect(201);
    await t.http.post('/api/auth/register').send(pending).expect(409);
    await t.http.post('/api/auth/login').send(credentials(pending)).expect(403);
    await t.http
      .post('/api/auth/login')
      .send({ ...credentials(pending), password: 'Wrong1234' })
      .expect(401);
    await t.http.post('/api/auth/login').send(credentials(ADMIN)).expect(200);
    const after = await scrape();

    const delta = (name: string, result: string) => value(after, name, { result }) - value(before, name, { result });
    expect(delta('regshield_registrations_total', 'created')).toBe(1);
    expect(delta('regshield_registrations_total', 'rejected')).toBe(1);
    expect(delta('regshield_logins_total', 'inactive')).toBe(1);
    expect(delta('regshield_logins_total', 'failed')).toBe(1);
    expect(delta('regshield_logins_total', 'succeeded')).toBe(1);
  });

  it('counts bans created by source and reads the active bans at scrape time', async () => {
    const before = await scrape();
    await t.http
      .post('/api/sip-security/bans')
      .set(auth(adminToken))
      .send({ cidr: '198.51.100.7/32', reason: 'metrics test' })
      .expect(201);
    const after = await scrape();
    const { rows } = await t.db.query(
      'SELECT count(*)::int AS count FROM sip_bans WHERE lifted_at IS NULL AND (expires_at IS NULL OR expires_at > now())',
    );

    const manual = { source: 'manual' };
    expect(
      value(after, 'regshield_sip_bans_created_total', manual) -
        value(before, 'regshield_sip_bans_created_total', manual),
    ).toBe(1);
    expect(value(after, 'regshield_sip_active_bans')).toBe(rows[0].count);
  });

  it('counts ingested SIP events by table (challenges are not stored, so not counted) and the engine lag', async () => {
    const before = await scrape();
    await t.http
      .post('/api/sip-security/failed-registrations')
      .set(auth(adminToken))
      .send([failedRegistration('198.51.100.201'), failedRegistration('198.51.100.201', { response_code: 401 })])
      .expect(202);
    await t.http
      .post('/api/sip-security/door-knocks')
      .set(auth(adminToken))
      .send(doorKnock('198.51.100.202'))
      .expect(202);
    await t.app.get(BanEngineService).evaluate();
    const after = await scrape();
    const ingested = (text: string, table: string) => value(text, 'regshield_sip_events_ingested_total', { table });
    expect(ingested(after, 'failed_registrations') - ingested(before, 'failed_registrations')).toBe(1);
    expect(ingested(after, 'door_knock_attempts') - ingested(before, 'door_knock_attempts')).toBe(1);
    const lag = value(after, 'regshield_ban_engine_lag_seconds');
    expect(lag).toBeGreaterThanOrEqual(0);
    expect(lag).toBeLessThan(5);
  });

  it('reads the mail outbox depth at scrape time: pending rows, waiting for a retry included, not sent or failed', async () => {
    const depth = async () => value(await scrape(), 'regshield_mail_outbox_pending');
    const before = await depth();
    // Due in an hour, so the worker leaves them pending while the test looks.
    const { rows } = await t.db.query<{ id: string }>(
      `INSERT INTO mail_outbox (kind, recipient, subject, text_body, html_body, next_attempt_at)
       SELECT 'account_activated', 'depth' || n || '@example.com', 'Depth', 'text', '<p>html</p>', now() + interval '1 hour'
         FROM generate_series(1, 3) AS n
       RETURNING id`,
    );
    expect(await depth()).toBe(before + 3);
    await t.db.query(`UPDATE mail_outbox SET status = 'sent' WHERE id = $1`, [rows[0].id]);
    await t.db.query(`UPDATE mail_outbox SET status = 'failed' WHERE id = $1`, [rows[1].id]);
    expect(await depth()).toBe(before + 1);
  });

  it('counts outbox delivery attempts by result', async () => {
    const sent = async () => value(await scrape(), 'regshield_mail_deliveries_total', { result: 'sent' });
    const sentRows = async () =>
      (await t.db.query<{ count: number }>(`SELECT count(*)::int AS count FROM mail_outbox WHERE status = 'sent'`))
        .rows[0].count;
    // Other tests' e-mails (an activation notice, say) may be on their way too: the counter must grow by
    // exactly as many messages as the outbox marked sent, this one among them.
    const before = { counted: await sent(), rows: await sentRows() };
    // No SMTP_URL here: the worker writes the message under DATA_DIR, which counts as sent.
    await t.db.query(
      `INSERT INTO mail_outbox (kind, recipient, subject, text_body, html_body)
       VALUES ('account_activated', 'delivered@example.com', 'Delivered', 'text', '<p>html</p>')`,
    );
    await eventually(async () => {
      const delivered = await t.db.query(
        `SELECT 1 FROM mail_outbox WHERE recipient = 'delivered@example.com' AND status = 'sent'`,
      );
      const rows = (await sentRows()) - before.rows;
      return delivered.rowCount === 1 && (await sent()) - before.counted === rows;
    });
  });

  describe('with a mail server and a proxy that cannot be reached', () => {
    let broken: TestApp;
    let closedPort: number;

    beforeAll(async () => {
      closedPort = await freePort();
      // A database of its own: another app's worker must not send the message this one cannot.
      broken = await startTestApp({
        env: {
          SMTP_URL: `smtp://127.0.0.1:${closedPort}`,
          MAIL_POLL_INTERVAL_MS: '100',
          MAIL_RETRY_BASE_MS: '100',
          MAIL_MAX_ATTEMPTS: '2',
          SIP_PROXY_RPC_URLS: `http://rpc-user:rpc-password@127.0.0.1:${closedPort}/RPC`,
        },
      });
    });
    afterAll(() => broken.close());

    it('counts retries and given-up messages, none sent', async () => {
      await broken.db.query(
        `INSERT INTO mail_outbox (kind, recipient, subject, text_body, html_body)
         VALUES ('account_activated', 'undeliverable@example.com', 'Lost', 'text', '<p>html</p>')`,
      );
      const deliveries = async (result: string) =>
        value((await broken.http.get('/metrics').expect(200)).text, 'regshield_mail_deliveries_total', { result });
      await eventually(async () => (await deliveries('failed')) === 1);
      expect(await deliveries('retry')).toBe(1);
      expect(await deliveries('sent')).toBe(0);
    });

    it('reports the proxy out of step, labelled by its URL without the credentials', async () => {
      const text = async () => (await broken.http.get('/metrics').expect(200)).text;
      const proxy = `http://127.0.0.1:${closedPort}/RPC`;
      await eventually(async () => samples(await text(), 'regshield_sip_proxy_in_step').length === 1);
      expect(value(await text(), 'regshield_sip_proxy_in_step', { proxy })).toBe(0);
      expect(await text()).not.toContain('rpc-password');
    });
  });

  it('is documented under Operations in the OpenAPI document', async () => {
    const document = (await t.http.get('/docs-json').expect(200)).body;
    const operation = document.paths['/metrics']?.get;
    expect(operation?.tags).toEqual(['Operations']);
    expect(Object.keys(operation?.responses ?? {})).toEqual(expect.arrayContaining(['200', '401']));
  });

  describe('with METRICS_TOKEN set', () => {
    const token = 'scrape-token-0123456789abcdef';
    let guarded: TestApp;

    beforeAll(async () => {
      guarded = await startTestApp({
        databaseUrl: t.databaseUrl,
        env: { METRICS_TOKEN: token, LOGIN_RATE_LIMIT: '1' },
      });
    });
    afterAll(() => guarded.close());

    it('answers 401 with a bearer challenge without the token or with another one', async () => {
      for (const headers of [{}, auth('not-the-token-0123456789'), auth(adminToken), { Authorization: token }]) {
        const response = await guarded.http.get('/metrics').set(headers).expect(401);
        expect(response.headers['www-authenticate']).toBe('Bearer realm="metrics"');
        expect(response.body).toEqual({
          statusCode: 401,
          error: 'Unauthorized',
          message: 'Invalid or missing metrics token',
        });
      }
      await guarded.http.get('/metrics').set(auth(token)).expect(200);
    });

    it('counts rate-limit hits by route template', async () => {
      await guarded.http.post('/api/auth/login').send(credentials(ADMIN)).expect(200);
      await guarded.http.post('/api/auth/login').send(credentials(ADMIN)).expect(429);
      const text = (await guarded.http.get('/metrics').set(auth(token)).expect(200)).text;
      expect(value(text, 'regshield_rate_limit_hits_total', { route: '/api/auth/login' })).toBe(1);
    });
  });

  it('with METRICS_ENABLED=false has no /metrics route', async () => {
    const disabled = await startTestApp({ databaseUrl: t.databaseUrl, env: { METRICS_ENABLED: 'false' } });
    try {
      await disabled.http.get('/metrics').expect(404);
      await disabled.http.get('/health').expect(200);
    } finally {
      await disabled.close();
    }
  });
});
