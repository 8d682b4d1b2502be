import { randomBytes, randomInt } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { HaproxyProcess, startShippedHaproxy } from '../support/haproxy';
import { describeWith, missingCommand } from '../support/required-tools';
import { freePort, ServiceProcess } from '../support/service-process';
import { SseClient, SseEvent } from '../support/sse-client';
import { createTestDatabase } from '../support/test-database';
import { sleep } from '../support/wait';

/**
 * The console's live stream through deploy/haproxy/haproxy.cfg in front of two built instances on one
 * database: held past the balancer's 30 s inactivity timeouts by the heartbeats, fed by both instances, and
 * moved to the other instance when the one holding it drains.
 */
const ADMIN = { email: 'admin@example.com', password: 'AdminPass123' };

const missing = [
  missingCommand('haproxy', ['-v'], 'apt-get install haproxy'),
  missingCommand('openssl', ['version'], 'apt-get install openssl'),
];

describeWith(missing, 'The live stream behind HAProxy (deploy/haproxy), two instances on one database', () => {
  jest.setTimeout(90_000);
  const workDir = mkdtempSync(join(tmpdir(), 'regshield-live-balancer-'));
  const jwtSecret = randomBytes(32).toString('hex');
  let database: { url: string; drop(): Promise<void> };
  const ports = { app1: 0, app2: 0, http: 0, https: 0 };
  const instances: Partial<Record<'app1' | 'app2', ServiceProcess>> = {};
  let haproxy: HaproxyProcess;
  let certificate: string;
  let adminToken: string;
  const streams: SseClient[] = [];

  const env = (port: number, extra: Record<string, string> = {}): NodeJS.ProcessEnv => {
    const values: NodeJS.ProcessEnv = {
      ...process.env,
      NODE_ENV: 'production',
      PORT: String(port),
      DATABASE_URL: database.url,
      DATA_DIR: join(workDir, `data-${port}`),
      JWT_SECRET: jwtSecret,
      MFA_ENCRYPTION_KEY: 'balancer-test-mfa-key-of-32-characters',
      TRUST_PROXY: '127.0.0.1/32',
      LOG_LEVEL: 'info',
      SHUTDOWN_DRAIN_DELAY_MS: '3000',
      // A stream that held the drain would keep the instance this long: the test would see it.
      SHUTDOWN_TIMEOUT_MS: '60000',
      ...extra,
    };
    for (const name of ['ADMIN_EMAIL', 'ADMIN_PASSWORD', 'SECURITY_LOG_FILE', 'REDIS_URL']) {
      if (!(name in extra)) delete values[name];
    }
    return values;
  };
  const direct = (name: 'app1' | 'app2', path: string, init: RequestInit = {}) =>
    fetch(`http://127.0.0.1:${ports[name]}${path}`, init);
  const ban = async (name: 'app1' | 'app2', cidr: string) => {
    const response = await direct(name, '/api/sip-security/bans', {
      method: 'POST',
      headers: { 'Content-Type': 'application/json', Authorization: `Bearer ${adminToken}` },
      body: JSON.stringify({ cidr, reason: `made on ${name}`, duration_seconds: 600 }),
    });
    expect(response.status).toBe(201);
  };
  /** A console's stream through the balancer's TLS front, from a loopback address of its own. */
  const openThroughBalancer = async () => {
    const stream = await SseClient.openHttps(ports.https, '/api/admin/live', {
      headers: { Authorization: `Bearer ${adminToken}` },
      ca: certificate,
      localAddress: `127.${randomInt(1, 255)}.${randomInt(0, 256)}.${randomInt(1, 255)}`,
    });
    streams.push(stream);
    expect(stream.status).toBe(200);
    return stream;
  };
  const banOf = (cidr: string) => (event: SseEvent) =>
    event.event === 'ban_created' && (event.data as { cidr: string }).cidr === cidr;

  beforeAll(async () => {
    database = await createTestDatabase();
    for (const name of ['app1', 'app2', 'http', 'https'] as const) ports[name] = await freePort();
    instances.app1 = new ServiceProcess(
      'app1',
      env(ports.app1, { ADMIN_EMAIL: ADMIN.email, ADMIN_PASSWORD: ADMIN.password }),
    );
    await instances.app1.start();
    instances.app2 = new ServiceProcess('app2', env(ports.app2));
    await instances.app2.start();
    ({ haproxy, certificate } = await startShippedHaproxy(workDir, ports));
    const login = await direct('app1', '/api/auth/login', {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify(ADMIN),
    });
    adminToken = ((await login.json()) as { access_token: string }).access_token;
  }, 120_000);

  afterAll(async () => {
    for (const stream of streams) stream.close();
    await haproxy?.stop();
    for (const service of Object.values(instances)) await service?.kill();
    await database?.drop();
    rmSync(workDir, { recursive: true, force: true });
  });

  it('stays open past the balancer’s 30 s timeouts on heartbeats, and carries bans made on either instance', async () => {
    const stream = await openThroughBalancer();
    await sleep(35_000);
    expect(stream.comments.filter((comment) => comment === 'keepalive').length).toBeGreaterThanOrEqual(2);
    await ban('app1', '198.51.100.61/32');
    await ban('app2', '198.51.100.62/32');
    await stream.next(banOf('198.51.100.61/32'), 5000);
    await stream.next(banOf('198.51.100.62/32'), 5000);
  });

  it('ends the streams of a draining instance at once, which then exits without waiting for them; a new stream lands on the other', async () => {
    // Round robin: two streams in a row are one on each instance.
    const pair = [await openThroughBalancer(), await openThroughBalancer()];
    const stoppedAt = Date.now();
    const exited = instances.app1!.stop('SIGTERM');
    const ended = await Promise.race(pair.map((stream, index) => stream.ended.then(() => index)));
    expect(Date.now() - stoppedAt).toBeLessThan(5000);
    expect(await exited).toBe(0);
    // Drain delay 3 s, then the HTTP drain: well under SHUTDOWN_TIMEOUT_MS (60 s), which an open stream would hold.
    expect(Date.now() - stoppedAt).toBeLessThan(20_000);

    const survivor = pair[1 - ended];
    const replacement = await openThroughBalancer();
    await ban('app2', '198.51.100.63/32');
    await survivor.next(banOf('198.51.100.63/32'), 5000);
    await replacement.next(banOf('198.51.100.63/32'), 5000);
  });
});
