import * as net from 'node:net';
import { describeWith, missingPackages } from '../support/required-tools';
import { FeedServer, startFeedServer } from '../support/feed-server';
import { ADMIN, closeAll, startTestApp, TestApp } from '../support/test-app';
import { createTestDatabase } from '../support/test-database';
import {
  freeTcpPort,
  freeUdpPort,
  KamailioInstance,
  missingSipTools,
  probeUntil,
  rpcUrl,
  sipPing,
  startKamailio,
} from './kamailio';

/**
 * Feeds enforced at a real Kamailio: a plain list and an APIBan feed served by a local HTTP server, and a
 * second regshield (its own database) whose bans this one follows through its CrowdSec decision stream.
 * Each latency runs from the feed's change being due (the interval is up) to the proxy's first drop or
 * answer; a real feed adds up to one interval_seconds before that.
 */
const DOMAIN = 'regshield.test';
/** The tick (1 s), the pull, the commit, the index reload and the push, on a loaded machine. */
const LIMIT_MS = 5000;
const APIBAN_KEY = 'apiban-key-for-the-test';

describeWith([missingPackages(missingSipTools())], 'Feeds enforced at the proxy (Kamailio)', () => {
  jest.setTimeout(120_000);
  let database: { url: string; drop(): Promise<void> };
  let upstreamDatabase: { url: string; drop(): Promise<void> };
  let t: TestApp;
  let upstream: TestApp;
  let kamailio: KamailioInstance;
  let server: FeedServer;
  let admin: string;
  let upstreamAdmin: string;
  const measured: Record<string, number> = {};

  const bearer = (token: string) => ({ Authorization: `Bearer ${token}` });
  const createFeed = async (body: Record<string, unknown>): Promise<{ id: number; at: number }> => {
    const at = Date.now();
    const response = await t.http.post('/api/sip-security/feeds').set(bearer(admin)).send(body).expect(201);
    return { id: (response.body as { id: number }).id, at };
  };
  /** The feed's interval is up now; returns that moment. */
  const dueNow = async (id: number): Promise<number> => {
    const at = Date.now();
    await t.db.query('UPDATE sip_feeds SET next_pull_at = now() WHERE id = $1', [id]);
    return at;
  };
  /**
   * From `since` to the first probe from `from` that was answered (or dropped). A probe unanswered within its
   * 100 ms may only have been slow on a loaded machine: a drop counts once a probe given a full second is
   * dropped too.
   */
  const latency = async (from: string, answered: boolean, since: number): Promise<number> => {
    const deadline = Date.now() + 15_000;
    while (Date.now() < deadline) {
      const at = await probeUntil({ kamailio, from, domain: DOMAIN, answered, timeoutMs: deadline - Date.now() });
      if (at === null) break;
      if (answered || (await sipPing(kamailio.host, kamailio.port, DOMAIN, 1000, from)) === null) {
        return Math.max(0, at - since);
      }
    }
    throw new Error(`${from} was never ${answered ? 'answered' : 'dropped'}`);
  };
  const dropped = async (from: string): Promise<boolean> =>
    (await sipPing(kamailio.host, kamailio.port, DOMAIN, 1000, from)) === null;

  beforeAll(async () => {
    [database, upstreamDatabase] = await Promise.all([createTestDatabase(), createTestDatabase()]);
    const [rpcPort, sipPort] = await Promise.all([freeTcpPort(), freeUdpPort()]);
    server = await startFeedServer();
    t = await startTestApp({
      databaseUrl: database.url,
      env: { SIP_ALLOWLIST: '127.0.0.1/32,::1/128', SIP_PROXY_RPC_URLS: rpcUrl(rpcPort) },
    });
    admin = await t.login(ADMIN.email, ADMIN.password);
    upstream = await startTestApp({ databaseUrl: upstreamDatabase.url, env: { SIP_ALLOWLIST: '127.0.0.1/32' } });
    await upstream.app.listen(0, '127.0.0.1');
    upstreamAdmin = await upstream.login(ADMIN.email, ADMIN.password);
    kamailio = await startKamailio({ databaseUrl: database.url, domain: DOMAIN, port: sipPort, rpcPort });
  });

  afterAll(async () => {
    await kamailio?.stop();
    await closeAll(t, upstream);
    await server?.close();
    await database?.drop();
    await upstreamDatabase?.drop();
    if (Object.keys(measured).length > 0) console.log(`feed → proxy latencies (ms): ${JSON.stringify(measured)}`);
  });

  it('drops the sources a plain list names, answers them again once they leave it, and lets the allowlist win', async () => {
    await t.http
      .post('/api/sip-security/allowlist')
      .set(bearer(admin))
      .send({ cidr: '127.0.0.43', description: 'our trunk, listed by mistake' })
      .expect(201);
    expect(await sipPing(kamailio.host, kamailio.port, DOMAIN, 500, '127.0.0.41')).toBe(200);
    server.answer('/list.txt', { body: '# scanners\n127.0.0.41\n127.0.0.42\n127.0.0.43\n' });
    const { id, at } = await createFeed({
      name: 'plain',
      url: `${server.base}/list.txt`,
      format: 'plain',
      interval_seconds: 60,
    });
    measured.plainListed = await latency('127.0.0.41', false, at);
    expect(measured.plainListed).toBeLessThanOrEqual(LIMIT_MS);
    expect(await dropped('127.0.0.42')).toBe(true);
    // Listed, but allowlisted: served.
    expect(await sipPing(kamailio.host, kamailio.port, DOMAIN, 500, '127.0.0.43')).toBe(200);
    const feed = (await t.http.get(`/api/sip-security/feeds/${id}`).set(bearer(admin)).expect(200)).body as {
      skipped: { allowlisted: number };
    };
    expect(feed.skipped.allowlisted).toBe(1);

    server.answer('/list.txt', { body: '127.0.0.42\n127.0.0.43\n' });
    measured.plainLeft = await latency('127.0.0.41', true, await dueNow(id));
    expect(measured.plainLeft).toBeLessThanOrEqual(LIMIT_MS);
    expect(await dropped('127.0.0.42')).toBe(true);
  });

  it('drops the sources APIBan lists (its key in the path, page by page) and answers them once gone', async () => {
    const base = `/apiban/${APIBAN_KEY}/banned`;
    server.answer(base, { body: JSON.stringify({ ipaddress: ['127.0.0.51'], ID: '7' }) });
    server.answer(`${base}/7`, { body: JSON.stringify({ ipaddress: ['127.0.0.52'], ID: '8' }) });
    server.answer(`${base}/8`, { status: 400, body: JSON.stringify({ ipaddress: ['no new bans'], ID: 'none' }) });
    const { id, at } = await createFeed({
      name: 'apiban',
      url: `${server.base}/apiban`,
      format: 'apiban',
      interval_seconds: 300,
      api_key: APIBAN_KEY,
    });
    measured.apibanListed = await latency('127.0.0.52', false, at);
    expect(measured.apibanListed).toBeLessThanOrEqual(LIMIT_MS);
    expect(await dropped('127.0.0.51')).toBe(true);

    server.answer(`${base}/7`, { status: 400, body: JSON.stringify({ ipaddress: ['no new bans'], ID: 'none' }) });
    measured.apibanLeft = await latency('127.0.0.52', true, await dueNow(id));
    expect(measured.apibanLeft).toBeLessThanOrEqual(LIMIT_MS);
    expect(await dropped('127.0.0.51')).toBe(true);
  });

  it("follows another regshield's bans through its decision stream: banned there, dropped here; lifted there, answered here", async () => {
    const bouncer = await upstream.http
      .post('/api/sip-security/bouncers')
      .set(bearer(upstreamAdmin))
      .send({ name: 'follower' })
      .expect(201);
    const { port } = upstream.app.getHttpServer().address() as net.AddressInfo;
    const { id } = await createFeed({
      name: 'upstream',
      url: `http://127.0.0.1:${port}`,
      format: 'crowdsec',
      interval_seconds: 60,
      api_key: (bouncer.body as { key: string }).key,
    });

    const banned = await upstream.http
      .post('/api/sip-security/bans')
      .set(bearer(upstreamAdmin))
      .send({ cidr: '127.0.0.61', reason: 'svcrack seen upstream', duration_seconds: 3600 })
      .expect(201);
    measured.followBan = await latency('127.0.0.61', false, await dueNow(id));
    expect(measured.followBan).toBeLessThanOrEqual(LIMIT_MS);
    const bans = (await t.http.get('/api/sip-security/bans').set(bearer(admin)).expect(200)).body as Array<{
      cidr: string;
      source: string;
      feed: string;
    }>;
    expect(bans).toContainEqual(expect.objectContaining({ cidr: '127.0.0.61/32', source: 'feed', feed: 'upstream' }));

    await upstream.http
      .delete(`/api/sip-security/bans/${(banned.body as { id: number }).id}`)
      .set(bearer(upstreamAdmin))
      .expect(204);
    measured.followLift = await latency('127.0.0.61', true, await dueNow(id));
    expect(measured.followLift).toBeLessThanOrEqual(LIMIT_MS);
  });
});
