import { ChildProcess, spawn } from 'node:child_process';
import Redis from 'ioredis';
import { REDIS_COMMAND_TIMEOUT_MS, REDIS_RETRY_AFTER_MS } from '../../src/common/throttling/throttler-storage';
import { describeWith, missingCommand } from '../support/required-tools';
import { freePort } from '../support/service-process';
import { startTestApp, TestApp } from '../support/test-app';
import { waitFor } from '../support/wait';

jest.setTimeout(60_000);

/** A Redis of the test's own, on a free port, without persistence, that the test can stop, freeze and restart. */
class OwnRedis {
  private process?: ChildProcess;

  constructor(readonly port: number) {}

  get url(): string {
    return `redis://127.0.0.1:${this.port}`;
  }

  async start(): Promise<void> {
    const child = spawn(
      'redis-server',
      ['--port', String(this.port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'],
      {
        stdio: 'ignore',
      },
    );
    this.process = child;
    await waitFor(async () => {
      const probe = new Redis(this.url, { lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null });
      try {
        await probe.connect();
        return (await probe.ping()) === 'PONG' ? true : undefined;
      } catch {
        return undefined;
      } finally {
        probe.disconnect();
      }
    }, 10_000);
  }

  async stop(): Promise<void> {
    const child = this.process;
    this.process = undefined;
    if (!child || child.exitCode !== null) return;
    child.kill('SIGCONT');
    await new Promise<void>((done) => {
      child.once('exit', () => done());
      child.kill('SIGKILL');
    });
  }

  freeze(): void {
    this.process?.kill('SIGSTOP');
  }

  thaw(): void {
    this.process?.kill('SIGCONT');
  }
}

const LIMIT = 3;
/** Far above what an answer takes here even on a loaded machine, far below a hang. */
const ANSWER_BOUND_MS = 3000;

describeWith(
  [missingCommand('redis-server', ['--version'], 'apt-get install redis-server')],
  'Redis going away under the shared rate limits (REDIS_URL)',
  () => {
    let redis: OwnRedis;
    let client: Redis;
    let t: TestApp;
    /** A client address of its own per step (TRUST_PROXY), so each step starts with a fresh window. */
    let clientCounter = 0;
    const nextClient = () => {
      clientCounter += 1;
      return `10.${Math.floor(clientCounter / 250)}.${clientCounter % 250}.1`;
    };
    const failLogin = async (clientIp: string) => {
      const started = Date.now();
      const response = await t.http
        .post('/api/auth/login')
        .set('X-Forwarded-For', clientIp)
        .send({ email: 'nobody@example.com', password: 'Wrong1234' });
      return { status: response.status, body: response.body as Record<string, unknown>, ms: Date.now() - started };
    };
    const storedKeys = () => client.keys('regshield:throttle:login:*');
    /** How many times Redis has run a script (the rate-limit window): EVALSHA, or EVAL after a NOSCRIPT. */
    const scriptCalls = async () => {
      const stats = await client.info('commandstats');
      return [...stats.matchAll(/^cmdstat_(?:evalsha|eval):calls=(\d+)/gm)].reduce(
        (sum, match) => sum + Number(match[1]),
        0,
      );
    };

    beforeAll(async () => {
      redis = new OwnRedis(await freePort());
      await redis.start();
      client = new Redis(redis.url, { maxRetriesPerRequest: 0, enableOfflineQueue: false });
      client.on('error', () => undefined);
      t = await startTestApp({
        env: { REDIS_URL: redis.url, LOGIN_RATE_LIMIT: String(LIMIT), TRUST_PROXY: 'loopback' },
      });
      // The app connects in the background: count in Redis from here on.
      await waitFor(async () => {
        await failLogin(nextClient());
        return (await storedKeys()).length > 0 ? true : undefined;
      });
    });
    afterAll(async () => {
      await t?.close();
      client?.disconnect();
      await redis?.stop();
    });

    it('counts in Redis while it answers', async () => {
      const ip = nextClient();
      const before = (await storedKeys()).length;
      for (let i = 0; i < LIMIT; i++) expect((await failLogin(ip)).status).toBe(401);
      expect((await failLogin(ip)).status).toBe(429);
      expect((await storedKeys()).length).toBe(before + 1);
    });

    it('stopped: logins still answer at once, never 500, and each instance still enforces the limit on its own', async () => {
      await redis.stop();
      const ip = nextClient();
      const answers = [];
      for (let i = 0; i <= LIMIT; i++) answers.push(await failLogin(ip));
      expect(answers.map((answer) => answer.status)).toEqual([...Array<number>(LIMIT).fill(401), 429]);
      expect(answers[LIMIT].body).toMatchObject({ statusCode: 429, error: 'Too Many Requests' });
      for (const answer of answers) expect(answer.ms).toBeLessThan(ANSWER_BOUND_MS);
      await t.http.get('/health').expect(200);
    });

    it('started again: counting goes back to Redis, with no restart of the service', async () => {
      await redis.start();
      client.disconnect();
      client = new Redis(redis.url, { maxRetriesPerRequest: 0 });
      // ioredis reconnects with a growing delay (at most 2 s); the count then lands in the new Redis.
      await waitFor(async () => {
        await failLogin(nextClient());
        return (await storedKeys()).length > 0 ? true : undefined;
      }, 15_000);
    });

    it(`frozen (SIGSTOP): a login waits at most ${REDIS_COMMAND_TIMEOUT_MS} ms for it, then is counted in memory`, async () => {
      const before = await scriptCalls();
      redis.freeze();
      try {
        const ip = nextClient();
        const answers = [];
        for (let i = 0; i <= LIMIT; i++) answers.push(await failLogin(ip));
        expect(answers.map((answer) => answer.status)).toEqual([...Array<number>(LIMIT).fill(401), 429]);
        for (const answer of answers) expect(answer.ms).toBeLessThan(REDIS_COMMAND_TIMEOUT_MS + ANSWER_BOUND_MS);
      } finally {
        redis.thaw();
      }
      // Only the first login asked the frozen Redis (its command runs now, thawed); the others went straight to
      // memory for REDIS_RETRY_AFTER_MS instead of each waiting for the timeout.
      await waitFor(async () => ((await scriptCalls()) > before ? true : undefined), 10_000);
      expect(await scriptCalls()).toBe(before + 1);
      // Thawed, it is asked again once REDIS_RETRY_AFTER_MS has passed.
      const keysBefore = (await storedKeys()).length;
      await waitFor(async () => {
        await failLogin(nextClient());
        return (await storedKeys()).length > keysBefore ? true : undefined;
      }, REDIS_RETRY_AFTER_MS + 10_000);
    });
  },
);
