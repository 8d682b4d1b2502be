import { mkdtempSync } from 'node:fs';
import { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { LiveEvents } from '../../src/live/live-events.service';
import { LiveTicker } from '../../src/live/live-ticker.service';
import { ClusterProcess, stopLeftoverPostmaster } from '../support/embedded-cluster';
import { freePort } from '../support/service-process';
import { SseClient, SseEvent } from '../support/sse-client';
import { ADMIN, closeAll, newUser, startTestApp, TestApp } from '../support/test-app';
import { waitFor } from '../support/wait';

/** When the machine has a Redis (CI does), the second instance uses it and its status says so. */
const REDIS_URL = process.env.REDIS_URL;
const bearer = (token: string) => ({ Authorization: `Bearer ${token}` });

/** The app listening on a loopback port: the stream is read over real HTTP, not supertest's buffered one. */
async function listen(t: TestApp): Promise<string> {
  await t.app.listen(0, '127.0.0.1');
  return `http://127.0.0.1:${(t.app.getHttpServer().address() as AddressInfo).port}`;
}

const named =
  (name: string, data: Record<string, unknown> = {}) =>
  (event: SseEvent) =>
    event.event === name && Object.entries(data).every(([key, value]) => (event.data as never)[key] === value);

describe('the console live stream and status (real HTTP, real PostgreSQL, two instances)', () => {
  jest.setTimeout(60_000);
  let first: TestApp;
  let second: TestApp;
  let firstUrl: string;
  let secondUrl: string;
  let admin: string;
  const streams: SseClient[] = [];
  const open = async (url: string, token: string) => {
    const stream = await SseClient.open(`${url}/api/admin/live`, bearer(token));
    streams.push(stream);
    return stream;
  };

  beforeAll(async () => {
    const deadProxy = `http://127.0.0.1:${await freePort()}/RPC`;
    first = await startTestApp({ env: { SIP_PROXY_RPC_URLS: deadProxy } });
    second = await startTestApp({
      databaseUrl: first.databaseUrl,
      env: { JWT_EXPIRES_IN: '3', ...(REDIS_URL ? { REDIS_URL } : {}) },
    });
    firstUrl = await listen(first);
    secondUrl = await listen(second);
    admin = await first.login(ADMIN.email, ADMIN.password);
  });
  afterAll(async () => {
    for (const stream of streams) stream.close();
    // fetch's kept-alive sockets would hold the server's close.
    for (const t of [first, second]) t?.app.getHttpServer().closeAllConnections();
    await closeAll(first, second);
  });

  it('refuses a missing token (401) and a member (403), as every admin route', async () => {
    const anonymous = await fetch(`${firstUrl}/api/admin/live`);
    expect(anonymous.status).toBe(401);
    const user = newUser();
    await first.http.post('/api/auth/register').send(user).expect(201);
    const created = await first.db.query<{ id: string }>('SELECT id FROM users WHERE email = $1', [user.email]);
    await first.http.post(`/api/admin/users/${created.rows[0].id}/activate`).set(bearer(admin)).expect(200);
    const member = await first.login(user.email, user.password);
    const refused = await fetch(`${firstUrl}/api/admin/live`, { headers: bearer(member) });
    expect(refused.status).toBe(403);
    expect(await refused.json()).toMatchObject({ statusCode: 403, message: 'Admin privileges required' });
    await first.http.get('/api/admin/status').set(bearer(member)).expect(403);
    await first.http.get('/api/admin/status').expect(401);
  });

  it('carries bans, sign-ups and account alerts made on one instance to a stream on the other', async () => {
    const stream = await open(secondUrl, admin);
    expect(stream.status).toBe(200);
    expect(stream.contentType).toBe('text/event-stream; charset=utf-8');

    const made = await first.http
      .post('/api/sip-security/bans')
      .set(bearer(admin))
      .send({ cidr: '198.51.100.7', reason: 'live stream test', duration_seconds: 600 })
      .expect(201);
    const created = await stream.next(named('ban_created', { id: made.body.id }));
    expect(created.data).toMatchObject({
      cidr: '198.51.100.7/32',
      reason: 'live stream test',
      source: 'manual',
      expires_at: expect.any(String),
    });
    expect(Number(created.id)).toBeGreaterThan(0);

    await first.http.delete(`/api/sip-security/bans/${made.body.id}`).set(bearer(admin)).expect(204);
    expect((await stream.next(named('ban_lifted', { id: made.body.id }))).data).toMatchObject({
      cidr: '198.51.100.7/32',
      lifted_at: expect.any(String),
    });

    const user = newUser();
    await first.http.post('/api/auth/register').send(user).expect(201);
    expect((await stream.next(named('signup_pending', { email: user.email }))).data).toMatchObject({ pending: true });

    const alert = { id: 1, username: '1001', kind: 'password_guessing' };
    await first.app.get(LiveEvents).publish('account_alert', alert);
    expect((await stream.next(named('account_alert'))).data).toEqual(alert);
  });

  it('sends the per-minute SIP counts and the status summary, and the latest of each to a new stream at once', async () => {
    const stream = await open(firstUrl, admin);
    await first.app.get(LiveTicker).tick();
    expect((await stream.next(named('sip_counts'))).data).toEqual({
      window_seconds: 60,
      failed_registrations: 0,
      door_knocks: 0,
    });
    const status = await stream.next(named('status'));
    expect(status.data).toMatchObject({ ok: false, problems: [expect.stringMatching(/^Proxy .* is out of step$/)] });

    const later = await open(firstUrl, admin);
    await later.next(named('sip_counts'), 2000);
    await later.next(named('status'), 2000);
  });

  it('ends a stream with event: reauth when its access token expires, and refuses the expired token', async () => {
    const shortLived = await second.login(ADMIN.email, ADMIN.password);
    const openedAt = Date.now();
    const stream = await open(secondUrl, shortLived);
    const reauth = await stream.next(named('reauth'), 15_000);
    expect(reauth.data).toEqual({ reason: 'token_expired' });
    await stream.ended;
    // JWT_EXPIRES_IN=3: the token's exp is 3 s after its issue, in whole seconds.
    expect(Date.now() - openedAt).toBeGreaterThan(1500);
    expect(Date.now() - openedAt).toBeLessThan(10_000);
    const again = await fetch(`${secondUrl}/api/admin/live`, { headers: bearer(shortLived) });
    expect(again.status).toBe(401);
  });

  it('ends a stream with event: reauth at the next heartbeat once its session has ended (signed out)', async () => {
    const session = await first.login(ADMIN.email, ADMIN.password);
    const stream = await open(firstUrl, session);
    await first.http.post('/api/auth/logout').set(bearer(session)).expect(204);
    // The heartbeat (every 15 s) checks the token again.
    const reauth = await stream.next(named('reauth'), 25_000);
    expect(reauth.data).toEqual({ reason: 'token_invalid' });
    await stream.ended;
  });

  it('reports the proxies, bouncers, feeds, outbox, ban engine, database and Redis on the status route', async () => {
    await first.http.post('/api/sip-security/bouncers').set(bearer(admin)).send({ name: 'edge-fw' }).expect(201);
    const response = await first.http.get('/api/admin/status').set(bearer(admin)).expect(200);
    expect(response.body).toEqual({
      checked_at: expect.any(String),
      ok: false,
      problems: [expect.stringMatching(/^Proxy http:\/\/127\.0\.0\.1:\d+\/RPC is out of step$/)],
      proxies: [
        {
          url: expect.stringMatching(/^http:\/\/127\.0\.0\.1:\d+\/RPC$/),
          in_step: false,
          last_push_at: expect.any(String),
          last_error: expect.stringContaining('ECONNREFUSED'),
        },
      ],
      bouncers: [{ id: expect.any(Number), name: 'edge-fw', last_pull_at: null }],
      feeds: [],
      outbox: { pending: expect.any(Number), failed: 0 },
      ban_engine: { lag_seconds: expect.any(Number) },
      database: { configured: true, up: true },
      redis: { configured: false, up: null },
    });
    const other = await second.http
      .get('/api/admin/status')
      .set(bearer(await second.login(ADMIN.email, ADMIN.password)));
    expect(other.body).toMatchObject({
      ok: true,
      problems: [],
      proxies: [],
      redis: REDIS_URL ? { configured: true, up: true } : { configured: false, up: null },
    });
  });

  it('reports a feed whose pulls fail, with its error, among the problems', async () => {
    await first.http
      .post('/api/sip-security/feeds')
      .set(bearer(admin))
      .send({
        name: 'dead-list',
        url: `http://127.0.0.1:${await freePort()}/list.txt`,
        format: 'plain',
        interval_seconds: 60,
      })
      .expect(201);
    const status = await waitFor(async () => {
      const response = await first.http.get('/api/admin/status').set(bearer(admin)).expect(200);
      const body = response.body as { feeds: Array<{ last_error: string | null }>; problems: string[] };
      return body.feeds[0]?.last_error ? body : undefined;
    }, 15_000);
    expect(status.feeds).toEqual([
      { name: 'dead-list', direction: 'in', last_success_at: null, last_error: expect.any(String), healthy: false },
    ]);
    expect(status.problems).toContain('Feed dead-list is failing');
  });
});

/** The status on a PostgreSQL cluster of the test's own, which it stops. */
describe('the status while the database is down', () => {
  jest.setTimeout(60_000);
  const dataDir = mkdtempSync(join(tmpdir(), 'regshield-status-outage-'));
  const cluster = new ClusterProcess(dataDir);
  let app: TestApp;
  let stream: SseClient | undefined;

  beforeAll(async () => {
    app = await startTestApp({
      databaseUrl: await cluster.start(),
      env: { DB_CONNECT_TIMEOUT_MS: '1000', DB_STATEMENT_TIMEOUT_MS: '2000' },
    });
    // The test's own client is cut with the rest.
    app.db.on('error', () => undefined);
  });
  afterAll(async () => {
    stream?.close();
    app?.app.getHttpServer().closeAllConnections();
    await app?.close().catch(() => undefined);
    await cluster.stop();
    await stopLeftoverPostmaster(dataDir);
  });

  it('reaches an open console as a status event; the route itself answers 503 like every route that checks a token', async () => {
    const token = await app.login(ADMIN.email, ADMIN.password);
    stream = await SseClient.open(`${await listen(app)}/api/admin/live`, bearer(token));
    await app.app.get(LiveTicker).tick();
    await stream.next(named('status', { ok: true }));
    await cluster.stop();
    await app.app.get(LiveTicker).tick();
    const down = await stream.next(named('status', { ok: false }), 10_000);
    expect(down.data).toEqual({ ok: false, problems: ['The database does not answer'] });
    const response = await app.http.get('/api/admin/status').set(bearer(token)).expect(503);
    expect(response.headers['retry-after']).toBeDefined();
  });
});
