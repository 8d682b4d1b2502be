import { randomBytes, randomInt } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client } from 'pg';
import { HaproxyProcess, startShippedHaproxy } from '../support/haproxy';
import { httpsClientFrom, Reply, Send } from '../support/loopback-client';
import { describeWith, missingCommand, unreachableRedis } from '../support/required-tools';
import { freePort, ServiceProcess } from '../support/service-process';
import { failedRegistration } from '../support/sip-events';
import { createTestDatabase } from '../support/test-database';

/**
 * deploy/haproxy/haproxy.cfg in front of two built instances (`node dist/src/main.js`) sharing one
 * PostgreSQL database and Redis, everything on loopback: what an operator with two machines gets.
 * Clients connect from their own 127.x.y.z address, so HAProxy's X-Forwarded-For names each one.
 */
const REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
const API_KEY = 'balancer-test-ingest-key-0123';
const ADMIN = { email: 'admin@example.com', password: 'AdminPass123' };
const USER_PASSWORD = 'Secret9876';
const REGISTER_RATE_LIMIT = 2;

/**
 * Rate-limit counters outlive a run in Redis (and other test files use 127.0.0.1): each run's clients
 * get fresh random addresses, never 127.0.0.1, which is the trusted balancer.
 */
const usedAddresses = new Set<string>();
function newClientAddress(): string {
  for (;;) {
    const address = `127.${randomInt(1, 255)}.${randomInt(0, 256)}.${randomInt(1, 255)}`;
    if (!usedAddresses.has(address)) {
      usedAddresses.add(address);
      return address;
    }
  }
}

let registrations = 0;
const newRegistration = () => {
  registrations += 1;
  return {
    email: `balanced${registrations}-${Date.now()}@example.com`,
    password: USER_PASSWORD,
    full_name: 'Balanced',
  };
};

const missing = [
  missingCommand('haproxy', ['-v'], 'apt-get install haproxy'),
  missingCommand('openssl', ['version'], 'apt-get install openssl'),
  unreachableRedis(REDIS_URL),
];

describeWith(missing, 'Two instances behind HAProxy (deploy/haproxy) on one database and Redis', () => {
  jest.setTimeout(30_000);
  const workDir = mkdtempSync(join(tmpdir(), 'regshield-balancer-'));
  const jwtSecret = randomBytes(32).toString('hex');
  let database: { url: string; drop(): Promise<void> };
  let db: Client;
  const ports = { app1: 0, app2: 0, http: 0, https: 0 };
  const instances: Record<'app1' | 'app2', ServiceProcess | undefined> = { app1: undefined, app2: undefined };
  let haproxy: HaproxyProcess;
  let certificate: string;
  let adminToken: string;
  const clients: Array<{ close(): void }> = [];

  const instanceEnv = (port: number, extra: Record<string, string>): NodeJS.ProcessEnv => {
    const env: NodeJS.ProcessEnv = {
      ...process.env,
      NODE_ENV: 'production',
      PORT: String(port),
      DATABASE_URL: database.url,
      DATA_DIR: join(workDir, `data-${port}`),
      JWT_SECRET: jwtSecret,
      MFA_ENCRYPTION_KEY: 'balancer-test-mfa-key-of-32-characters',
      REDIS_URL,
      TRUST_PROXY: '127.0.0.1/32',
      REGISTER_RATE_LIMIT: String(REGISTER_RATE_LIMIT),
      REGISTER_RATE_TTL: '300',
      SIP_INGEST_API_KEY: API_KEY,
      LOG_LEVEL: 'info',
      // deploy/haproxy checks every 2 s and takes a server out after 2 failures.
      SHUTDOWN_DRAIN_DELAY_MS: '5000',
      ...extra,
    };
    for (const name of ['ADMIN_EMAIL', 'ADMIN_PASSWORD', 'SECURITY_LOG_FILE', 'REGISTRATION_MODE']) {
      if (!(name in extra)) delete env[name];
    }
    return env;
  };
  const instance = (name: 'app1' | 'app2') => instances[name]!;
  /** Straight to one instance, bypassing the balancer (from 127.0.0.1). */
  const direct = (name: 'app1' | 'app2', path: string, init: RequestInit = {}) =>
    fetch(`http://127.0.0.1:${ports[name]}${path}`, init);
  /** Through the balancer's TLS front, from a client address of its own. */
  const balancedClient = (address = newClientAddress()): Send => {
    const client = httpsClientFrom(address, ports.https, certificate);
    clients.push(client);
    return client.send;
  };
  const bearer = (token: string) => ({ Authorization: `Bearer ${token}` });
  const jsonPost = (body: unknown, headers: Record<string, string> = {}): RequestInit => ({
    method: 'POST',
    headers: { 'Content-Type': 'application/json', ...headers },
    body: JSON.stringify(body),
  });

  beforeAll(async () => {
    database = await createTestDatabase();
    db = new Client({ connectionString: database.url });
    await db.connect();
    for (const name of ['app1', 'app2', 'http', 'https'] as const) ports[name] = await freePort();

    // One at a time, as the upgrade procedure says: the first runs the migrations and creates the admin.
    instances.app1 = new ServiceProcess(
      'app1',
      instanceEnv(ports.app1, { ADMIN_EMAIL: ADMIN.email, ADMIN_PASSWORD: ADMIN.password }),
    );
    await instances.app1.start();
    instances.app2 = new ServiceProcess('app2', instanceEnv(ports.app2, {}));
    await instances.app2.start();

    ({ haproxy, certificate } = await startShippedHaproxy(workDir, ports));

    const login = await direct('app1', '/api/auth/login', jsonPost(ADMIN));
    expect(login.status).toBe(200);
    adminToken = ((await login.json()) as { access_token: string }).access_token;
  }, 90_000);

  afterAll(async () => {
    for (const client of clients) client.close();
    await haproxy?.stop();
    for (const service of Object.values(instances)) {
      if (service) await service.stop('SIGKILL');
    }
    await db?.end();
    await database?.drop();
    rmSync(workDir, { recursive: true, force: true });
  });

  it('keeps an instance in rotation while GET /health answers 200, and sends plain HTTP to HTTPS', async () => {
    const servers = await haproxy.servers();
    expect(servers).toEqual([
      expect.objectContaining({ name: 'app1', status: 'UP', checkStatus: 'L7OK', checkCode: '200' }),
      expect.objectContaining({ name: 'app2', status: 'UP', checkStatus: 'L7OK', checkCode: '200' }),
    ]);
    const plain = await fetch(`http://127.0.0.1:${ports.http}/health`, { redirect: 'manual' });
    expect(plain.status).toBe(301);
    expect(plain.headers.get('location')).toBe(`https://127.0.0.1:${ports.http}/health`);
    const health = await balancedClient()('GET', '/health');
    expect(health.status).toBe(200);
    expect(health.json).toEqual({ status: 'ok', database: 'up' });
  });

  it('(a) enforces one registration limit per client across both instances (Redis), the client read from X-Forwarded-For', async () => {
    const client = newClientAddress();
    const send = balancedClient(client);
    const before = await haproxy.servers();
    const statuses: number[] = [];
    for (let i = 0; i < REGISTER_RATE_LIMIT + 2; i++) {
      statuses.push((await send('POST', '/api/auth/register', { body: newRegistration() })).status);
    }
    expect(statuses).toEqual([201, 201, 429, 429]);
    const after = await haproxy.servers();
    // Round robin: each instance answered half of them, so each saw the other's registrations in Redis.
    expect(after.map((server, i) => server.requests - before[i].requests)).toEqual([2, 2]);
    for (const name of ['app1', 'app2'] as const) {
      const seen = instance(name)
        .securityEvents()
        .filter((event) => event.ip === client)
        .map((event) => event.event);
      expect(seen).toContain('user_created');
      expect(seen).toContain('rate_limit_hit');
    }
    // The limit is the client's, not the balancer's: another client still gets in.
    const other = await balancedClient()('POST', '/api/auth/register', { body: newRegistration() });
    expect(other.status).toBe(201);
  });

  it('(b) answers a manual ban made on one instance from check/{ip} on every instance within 1 s', async () => {
    const banned = '203.0.113.77';
    const created = await direct(
      'app1',
      '/api/sip-security/bans',
      jsonPost({ cidr: `${banned}/32`, reason: 'balancer test' }, bearer(adminToken)),
    );
    expect(created.status).toBe(201);
    const madeAt = Date.now();

    const send = balancedClient();
    const checks: Array<() => Promise<unknown>> = [
      ...(['app1', 'app2'] as const).map(
        (name) => async () =>
          (await direct(name, `/api/sip-security/check/${banned}`, { headers: { 'X-Api-Key': API_KEY } })).json(),
      ),
      // Twice through the balancer: round robin asks each instance once.
      ...[1, 2].map(
        () => async () =>
          (await send('GET', `/api/sip-security/check/${banned}`, { headers: { 'X-Api-Key': API_KEY } })).json,
      ),
    ];
    for (;;) {
      const answers = (await Promise.all(checks.map((check) => check()))) as Array<{ banned: boolean }>;
      if (answers.every((answer) => answer.banned)) break;
      expect(Date.now() - madeAt).toBeLessThan(1000);
      await new Promise((pause) => setTimeout(pause, 50));
    }
    expect(Date.now() - madeAt).toBeLessThan(1000);
  });

  it("(c) revokes a user's token on every instance as soon as one instance deactivates them", async () => {
    const send = balancedClient();
    const registration = newRegistration();
    const registered = await send('POST', '/api/auth/register', { body: registration });
    expect(registered.status).toBe(201);
    const userId = (registered.json as { id: string }).id;
    const activated = await direct('app2', `/api/admin/users/${userId}/activate`, {
      method: 'POST',
      headers: bearer(adminToken),
    });
    expect(activated.status).toBe(200);
    const login = await send('POST', '/api/auth/login', {
      body: { email: registration.email, password: registration.password },
    });
    expect(login.status).toBe(200);
    const token = (login.json as { access_token: string }).access_token;
    expect((await direct('app2', '/api/auth/me', { headers: bearer(token) })).status).toBe(200);

    const deactivated = await direct('app1', `/api/admin/users/${userId}/deactivate`, {
      method: 'POST',
      headers: bearer(adminToken),
    });
    expect(deactivated.status).toBe(200);
    expect((await direct('app2', '/api/auth/me', { headers: bearer(token) })).status).toBe(401);
    const throughBalancer = [await send('GET', '/api/auth/me', { headers: bearer(token) })];
    throughBalancer.push(await send('GET', '/api/auth/me', { headers: bearer(token) }));
    expect(throughBalancer.map((reply) => reply.status)).toEqual([401, 401]);
  });

  it('(e) drains an instance stopped with SIGTERM under load: every request gets its answer, every accepted event is stored', async () => {
    const source = '198.51.100.23';
    const failures: string[] = [];
    let accepted = 0;
    let answered = 0;
    let running = true;
    const requests: Array<{ what: string; status: number; send: (send: Send) => Promise<Reply> }> = [
      {
        what: 'GET /api/auth/me',
        status: 200,
        send: (send) => send('GET', '/api/auth/me', { headers: bearer(adminToken) }),
      },
      {
        what: 'GET check/{ip}',
        status: 200,
        send: (send) => send('GET', '/api/sip-security/check/203.0.113.77', { headers: { 'X-Api-Key': API_KEY } }),
      },
      {
        what: 'POST failed-registrations',
        status: 202,
        send: (send) =>
          send('POST', '/api/sip-security/failed-registrations', {
            headers: { 'X-Api-Key': API_KEY },
            body: [failedRegistration(source), failedRegistration(source)],
          }),
      },
    ];
    const worker = async (send: Send) => {
      for (let i = 0; running; i++) {
        const { what, status, send: request } = requests[i % requests.length];
        try {
          const reply = await request(send);
          answered += 1;
          if (reply.status !== status) failures.push(`${what}: ${reply.status} ${reply.text.slice(0, 200)}`);
          if (reply.status === 202) accepted += 2;
        } catch (error) {
          failures.push(`${what}: no answer (${(error as Error).message})`);
        }
      }
    };
    const load = Array.from({ length: 6 }, () => worker(balancedClient()));

    await new Promise((pause) => setTimeout(pause, 1000));
    const servedBeforeStop = (await haproxy.servers()).find((server) => server.name === 'app2')!.requests;
    const exitCode = await instance('app2').stop('SIGTERM');
    await new Promise((pause) => setTimeout(pause, 1000));
    running = false;
    await Promise.all(load);

    expect(failures).toEqual([]);
    expect(exitCode).toBe(0);
    expect(servedBeforeStop).toBeGreaterThan(0);
    expect(answered).toBeGreaterThan(50);
    const { rows } = await db.query<{ count: string }>(
      'SELECT count(*) FROM failed_registrations WHERE source_ip = $1',
      [source],
    );
    expect(Number(rows[0].count)).toBe(accepted);
  });

  it('(d) takes the stopped instance out after its failed /health checks; requests keep succeeding', async () => {
    const servers = await haproxy.waitForStatus({ app1: 'UP', app2: 'DOWN' }, 8_000);
    // L4CON: connection refused; L7STS: /health answered something else than 200 (503 while draining).
    expect(['L4CON', 'L7STS']).toContain(servers.find((server) => server.name === 'app2')!.checkStatus);
    const send = balancedClient();
    const statuses: number[] = [];
    for (let i = 0; i < 10; i++) statuses.push((await send('GET', '/health')).status);
    expect(statuses).toEqual(Array(10).fill(200));
  });

  it('brings the restarted instance back into rotation once its checks pass', async () => {
    instances.app2 = new ServiceProcess('app2', instanceEnv(ports.app2, { TRUST_PROXY: '1' }));
    await instances.app2.start();
    await haproxy.waitForStatus({ app1: 'UP', app2: 'UP' }, 10_000);
  });

  describe('with the instance behind it set to TRUST_PROXY=1 (a hop count)', () => {
    beforeAll(() => haproxy.command('set server regshield/app1 state maint'));
    afterAll(() => haproxy.command('set server regshield/app1 state ready'));

    // Fastify alone trusts no one for a numeric trustProxy (every client would be HAProxy's 127.0.0.1);
    // src/common/client-ip.ts gives the hop count Express's meaning.
    it('reads each client from X-Forwarded-For, one limit per client', async () => {
      const client = newClientAddress();
      const send = balancedClient(client);
      const statuses: number[] = [];
      for (let i = 0; i < REGISTER_RATE_LIMIT + 1; i++) {
        statuses.push((await send('POST', '/api/auth/register', { body: newRegistration() })).status);
      }
      expect(statuses).toEqual([201, 201, 429]);
      const created = instance('app2')
        .securityEvents()
        .filter((event) => event.event === 'user_created')
        .map((event) => event.ip);
      expect(created.slice(-2)).toEqual([client, client]);
      expect((await balancedClient()('POST', '/api/auth/register', { body: newRegistration() })).status).toBe(201);
    });
  });
});
