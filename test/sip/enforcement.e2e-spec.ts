import { ADMIN, startTestApp, TestApp } from '../support/test-app';
import { createTestDatabase } from '../support/test-database';
import {
  createSubscriber,
  freeTcpPort,
  freeUdpPort,
  KamailioInstance,
  missingSipTools,
  probeUntil,
  rpcUrl,
  sipPing,
  sipRegister,
  startKamailio,
} from './kamailio';
import { describeWith, missingPackages } from '../support/required-tools';

/**
 * Enforcement at the proxy, measured: a ban (or its lift) reaches Kamailio's memory within 1 s, a restarted
 * Kamailio loads every active ban from the database without the service, a restarted service loses nothing,
 * and FAIL_CLOSED refuses everyone but the allowlist while the service is away.
 */
const DOMAIN = 'regshield.test';
const SUBSCRIBER = { username: '1000', password: 'S3cret-pass' };
const LIMIT_MS = 1000;

const MISSING_TOOLS = [missingPackages(missingSipTools())];

describeWith(MISSING_TOOLS, 'Ban enforcement at the proxy (Kamailio htables pushed over JSON-RPC)', () => {
  jest.setTimeout(90_000);
  let database: { url: string; drop(): Promise<void> };
  let t: TestApp | undefined;
  let kamailio: KamailioInstance | undefined;
  let closedKamailio: KamailioInstance | undefined;
  let rpcPort: number;
  let closedRpcPort: number;
  let sipPort: number;
  let admin: string;
  const measured: Record<string, number> = {};

  const startApp = async () => {
    t = await startTestApp({
      databaseUrl: database.url,
      env: { SIP_ALLOWLIST: '127.0.0.1/32,::1/128', SIP_PROXY_RPC_URLS: `${rpcUrl(rpcPort)},${rpcUrl(closedRpcPort)}` },
    });
    admin = await t.login(ADMIN.email, ADMIN.password);
    return t;
  };
  const startProxy = () => startKamailio({ databaseUrl: database.url, domain: DOMAIN, port: sipPort, rpcPort });

  /** `at`: just before the request, so the latency includes the API's own work. */
  const ban = async (cidr: string, durationSeconds?: number): Promise<{ id: string; at: number }> => {
    const at = Date.now();
    const response = await t!.http
      .post('/api/sip-security/bans')
      .set('Authorization', `Bearer ${admin}`)
      .send({ cidr, reason: 'enforcement test', ...(durationSeconds && { duration_seconds: durationSeconds }) })
      .expect(201);
    return { id: (response.body as { id: string }).id, at };
  };
  const lift = async (id: string): Promise<number> => {
    const at = Date.now();
    await t!.http.delete(`/api/sip-security/bans/${id}`).set('Authorization', `Bearer ${admin}`).expect(204);
    return at;
  };
  /** The latency from `since` to the first probe from `from` that was dropped (or answered). */
  const latency = async (from: string, answered: boolean, since: number): Promise<number> => {
    const at = await probeUntil({ kamailio: kamailio!, from, domain: DOMAIN, answered });
    expect(at).not.toBeNull();
    return Math.max(0, at! - since);
  };

  beforeAll(async () => {
    database = await createTestDatabase();
    [rpcPort, closedRpcPort, sipPort] = await Promise.all([freeTcpPort(), freeTcpPort(), freeUdpPort()]);
    await startApp();
    await createSubscriber(t!.db, SUBSCRIBER.username, SUBSCRIBER.password, DOMAIN);
    kamailio = await startProxy();
  });

  afterAll(async () => {
    await closedKamailio?.stop();
    await kamailio?.stop();
    await t?.close();
    await database?.drop();
    if (Object.keys(measured).length > 0) console.log(`enforcement latencies (ms): ${JSON.stringify(measured)}`);
  });

  it('drops a banned address within 1 s of the ban and answers it within 1 s of the lift; the subscriber registers throughout', async () => {
    expect(await sipPing(kamailio!.host, kamailio!.port, DOMAIN, 500, '127.0.0.31')).toBe(200);
    const { id, at } = await ban('127.0.0.31/32', 3600);
    measured.ban = await latency('127.0.0.31', false, at);
    expect(measured.ban).toBeLessThanOrEqual(LIMIT_MS);
    expect(
      (await sipRegister({ from: '127.0.0.1', port: kamailio!.port, domain: DOMAIN, ...SUBSCRIBER })).statuses,
    ).toEqual([401, 200]);

    measured.lift = await latency('127.0.0.31', true, await lift(id));
    expect(measured.lift).toBeLessThanOrEqual(LIMIT_MS);
  });

  it('enforces a range ban (and its lift) within 1 s for every address in it', async () => {
    const { id, at } = await ban('127.0.1.0/24');
    measured.rangeBan = await latency('127.0.1.77', false, at);
    expect(measured.rangeBan).toBeLessThanOrEqual(LIMIT_MS);
    expect(await sipPing(kamailio!.host, kamailio!.port, DOMAIN, 300, '127.0.1.200')).toBeNull();
    expect(await sipPing(kamailio!.host, kamailio!.port, DOMAIN, 300, '127.0.2.1')).toBe(200);

    measured.rangeLift = await latency('127.0.1.77', true, await lift(id));
    expect(measured.rangeLift).toBeLessThanOrEqual(LIMIT_MS);
  });

  it('drops every source of a burst of 500 bans within 1 s (one reload, not 500 calls)', async () => {
    const addresses = Array.from({ length: 500 }, (_, i) => `127.0.${4 + Math.floor(i / 250)}.${(i % 250) + 1}`);
    const at = Date.now();
    await t!.db.query(
      `INSERT INTO sip_bans (cidr, reason, source, expires_at)
       SELECT cidr, 'burst test', 'manual', now() + interval '1 hour' FROM unnest($1::cidr[]) AS cidr`,
      [addresses],
    );
    const latencies = await Promise.all(
      ['127.0.4.1', '127.0.4.250', '127.0.5.250'].map((from) => latency(from, false, at)),
    );
    measured.burstBan = Math.max(...latencies);
    expect(measured.burstBan).toBeLessThanOrEqual(LIMIT_MS);
  });

  it('lets a ban end at its expiry, without the service', async () => {
    const { at } = await ban('127.0.0.33/32', 2);
    await latency('127.0.0.33', false, at);
    const answeredAt = await probeUntil({ kamailio: kamailio!, from: '127.0.0.33', domain: DOMAIN, answered: true });
    expect(answeredAt).not.toBeNull();
    // htable expiry has a granularity of one second.
    expect(answeredAt! - at).toBeLessThanOrEqual(2000 + LIMIT_MS + 200);
  });

  it('loads every active ban when the proxy restarts while the service is away, and fails closed if told to', async () => {
    await ban('127.0.0.32/32');
    await ban('127.0.3.0/24');
    await latency('127.0.0.32', false, Date.now());
    await t!.close();
    t = undefined;

    await kamailio!.stop();
    kamailio = await startProxy();
    // No service to push anything: the first probe after the start is dropped already.
    expect(await sipPing(kamailio.host, kamailio.port, DOMAIN, 300, '127.0.0.32')).toBeNull();
    expect(await sipPing(kamailio.host, kamailio.port, DOMAIN, 300, '127.0.3.9')).toBeNull();
    // Fail open (the default): everyone else is served.
    expect(await sipPing(kamailio.host, kamailio.port, DOMAIN, 500, '127.0.0.34')).toBe(200);

    closedKamailio = await startKamailio({
      databaseUrl: database.url,
      domain: DOMAIN,
      rpcPort: closedRpcPort,
      failClosed: true,
    });
    expect(await sipPing(closedKamailio.host, closedKamailio.port, DOMAIN, 500, '127.0.0.34')).toBe(503);
    expect(await sipPing(closedKamailio.host, closedKamailio.port, DOMAIN, 500, '127.0.0.1')).toBe(200);

    // The service comes back: nothing was lost, and the closed proxy opens within a heartbeat.
    const backAt = Date.now();
    await startApp();
    const openedAt = await probeUntil({ kamailio: closedKamailio, from: '127.0.0.34', domain: DOMAIN, answered: true });
    expect(openedAt).not.toBeNull();
    measured.failClosedReopen = openedAt! - backAt;
    expect(await sipPing(kamailio.host, kamailio.port, DOMAIN, 300, '127.0.0.32')).toBeNull();
    expect(await sipPing(closedKamailio.host, closedKamailio.port, DOMAIN, 300, '127.0.0.32')).toBeNull();
  });
});
