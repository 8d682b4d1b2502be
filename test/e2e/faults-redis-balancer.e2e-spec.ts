import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Redis from 'ioredis';
import { RATE_LIMITS_UNAVAILABLE } from '../../src/common/throttling/throttler-storage';
import type { RateLimitRedisFailureMode } from '../../src/config/app-config';
import { HaproxyProcess, startShippedHaproxy } from '../support/haproxy';
import { httpsClientFrom, Send } from '../support/loopback-client';
import { OwnRedis } from '../support/own-redis';
import { describeWith, missingCommand } from '../support/required-tools';
import { freePort, ServiceProcess } from '../support/service-process';
import { waitFor } from '../support/wait';
import { createTestDatabase } from '../support/test-database';

/**
 * deploy/haproxy/haproxy.cfg in front of two built instances sharing one database and one Redis of the
 * test's own, which the test stops under both: RATE_LIMIT_REDIS_FAILURE must hold on each instance, the
 * balancer must keep both in rotation (/health answers from the database, not Redis), and the shared limit
 * must come back with Redis, with no restart.
 */
const LIMIT = 3;
const missing = [
  missingCommand('haproxy', ['-v'], 'apt-get install haproxy'),
  missingCommand('openssl', ['version'], 'apt-get install openssl'),
  missingCommand('redis-server', ['--version'], 'apt-get install redis-server'),
];

let clientCounter = 0;
/** A client address of its own per step (each connects from it; HAProxy names it in X-Forwarded-For). */
const newClientAddress = () => {
  clientCounter += 1;
  return `127.77.${Math.floor(clientCounter / 250)}.${(clientCounter % 250) + 1}`;
};

/** What a client gets from LIMIT * 2 + 2 failed logins, alternating between the instances, while Redis is away. */
const WITHOUT_REDIS: Record<RateLimitRedisFailureMode, number[]> = {
  // Each instance counts its half alone: LIMIT each, then 429 from both.
  local: [...Array<number>(LIMIT * 2).fill(401), 429, 429],
  open: Array<number>(LIMIT * 2 + 2).fill(401),
  closed: Array<number>(LIMIT * 2 + 2).fill(503),
};

describeWith(missing, 'Two instances behind HAProxy lose their Redis (RATE_LIMIT_REDIS_FAILURE)', () => {
  describe.each(['local', 'closed', 'open'] as const)('RATE_LIMIT_REDIS_FAILURE=%s', (mode) => {
    jest.setTimeout(60_000);
    const workDir = mkdtempSync(join(tmpdir(), `regshield-redis-balancer-${mode}-`));
    let database: { url: string; drop(): Promise<void> };
    let redis: OwnRedis;
    const ports = { app1: 0, app2: 0, http: 0, https: 0 };
    const instances: ServiceProcess[] = [];
    let haproxy: HaproxyProcess;
    let certificate: string;
    const clients: Array<{ close(): void }> = [];

    const balancedClient = (address = newClientAddress()): Send => {
      const client = httpsClientFrom(address, ports.https, certificate);
      clients.push(client);
      return client.send;
    };
    const failLogin = (send: Send) =>
      send('POST', '/api/auth/login', { body: { email: 'nobody@example.com', password: 'Wrong1234' } });
    const storedKeys = async () => {
      const client = new Redis(redis.url, { maxRetriesPerRequest: 0, retryStrategy: () => null });
      try {
        return (await client.keys('regshield:throttle:login:*')).length;
      } finally {
        client.disconnect();
      }
    };
    /** Until both instances count in Redis: a fresh client's login straight to each adds a key. */
    const bothCountInRedis = async () => {
      for (const port of [ports.app1, ports.app2]) {
        await waitFor(async () => {
          const before = await storedKeys();
          await fetch(`http://127.0.0.1:${port}/api/auth/login`, {
            method: 'POST',
            headers: { 'Content-Type': 'application/json', 'X-Forwarded-For': newClientAddress() },
            body: JSON.stringify({ email: 'nobody@example.com', password: 'Wrong1234' }),
          });
          return (await storedKeys()) > before ? true : undefined;
        }, 20_000);
      }
    };
    const requestsPerServer = async () => (await haproxy.servers()).map((server) => server.requests);

    beforeAll(async () => {
      database = await createTestDatabase();
      redis = new OwnRedis(await freePort());
      await redis.start();
      for (const name of ['app1', 'app2', 'http', 'https'] as const) ports[name] = await freePort();
      const jwtSecret = randomBytes(32).toString('hex');
      // One at a time: the first runs the migrations.
      for (const name of ['app1', 'app2'] as const) {
        const env: NodeJS.ProcessEnv = {
          ...process.env,
          NODE_ENV: 'production',
          PORT: String(ports[name]),
          DATABASE_URL: database.url,
          DATA_DIR: join(workDir, name),
          JWT_SECRET: jwtSecret,
          MFA_ENCRYPTION_KEY: 'redis-balancer-test-mfa-key-of-32-chars',
          REDIS_URL: redis.url,
          RATE_LIMIT_REDIS_FAILURE: mode,
          LOGIN_RATE_LIMIT: String(LIMIT),
          TRUST_PROXY: '127.0.0.1/32',
          // ServiceProcess waits for the 'Listening on port' line, an info one.
          LOG_LEVEL: 'info',
        };
        for (const variable of ['ADMIN_EMAIL', 'ADMIN_PASSWORD', 'SECURITY_LOG_FILE', 'REGISTRATION_MODE']) {
          delete env[variable];
        }
        const instance = new ServiceProcess(name, env);
        instances.push(instance);
        await instance.start();
      }
      ({ haproxy, certificate } = await startShippedHaproxy(workDir, ports));
      await bothCountInRedis();
    }, 120_000);

    afterAll(async () => {
      for (const client of clients) client.close();
      await haproxy?.stop();
      for (const instance of instances) await instance.stop('SIGKILL');
      await redis?.stop();
      await database?.drop();
      rmSync(workDir, { recursive: true, force: true });
    });

    it('with Redis: one limit per client across both instances', async () => {
      const send = balancedClient();
      const statuses: number[] = [];
      for (let i = 0; i <= LIMIT; i++) statuses.push((await failLogin(send)).status);
      expect(statuses).toEqual([...Array<number>(LIMIT).fill(401), 429]);
    });

    it(`Redis stopped under both: each instance applies "${mode}", both stay in rotation, /health stays 200`, async () => {
      await redis.stop();
      const send = balancedClient();
      const before = await requestsPerServer();
      const replies = [];
      for (let i = 0; i < LIMIT * 2 + 2; i++) replies.push(await failLogin(send));
      expect(replies.map((reply) => reply.status)).toEqual(WITHOUT_REDIS[mode]);
      // Round robin: each instance answered half, so the mode held on each.
      const after = await requestsPerServer();
      expect(after.map((requests, i) => requests - before[i])).toEqual([LIMIT + 1, LIMIT + 1]);
      if (mode === 'closed') {
        for (const reply of replies) {
          expect(reply.headers['retry-after']).toBe('5');
          expect(reply.json).toMatchObject({ statusCode: 503, message: RATE_LIMITS_UNAVAILABLE });
        }
      }
      const health = await send('GET', '/health');
      expect(health.status).toBe(200);
      // Two checks at HAProxy's 2 s interval, both answered 200: neither instance left the rotation.
      await new Promise((pause) => setTimeout(pause, 4500));
      expect(await haproxy.servers()).toEqual([
        expect.objectContaining({ name: 'app1', status: 'UP', checkCode: '200' }),
        expect.objectContaining({ name: 'app2', status: 'UP', checkCode: '200' }),
      ]);
    });

    it('Redis back: both instances share one limit again, with no restart', async () => {
      await redis.start();
      await bothCountInRedis();
      const send = balancedClient();
      const statuses: number[] = [];
      for (let i = 0; i <= LIMIT; i++) statuses.push((await failLogin(send)).status);
      expect(statuses).toEqual([...Array<number>(LIMIT).fill(401), 429]);
    });
  });
});
