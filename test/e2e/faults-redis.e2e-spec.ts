import Redis from 'ioredis';
import {
  RATE_LIMITS_UNAVAILABLE,
  REDIS_COMMAND_TIMEOUT_MS,
  REDIS_RETRY_AFTER_MS,
} from '../../src/common/throttling/throttler-storage';
import { OwnRedis } from '../support/own-redis';
import { describeWith, missingCommand } from '../support/required-tools';
import { freePort } from '../support/service-process';
import { failedRegistration } from '../support/sip-events';
import { ADMIN, startTestApp, TestApp } from '../support/test-app';
import { waitFor } from '../support/wait';

jest.setTimeout(60_000);

const LIMIT = 3;
/** Far above what an answer takes here even on a loaded machine, far below a hang. */
const ANSWER_BOUND_MS = 3000;
const REDIS_SERVER = [missingCommand('redis-server', ['--version'], 'apt-get install redis-server')];
const API_KEY = 'faults-redis-ingest-key-0123';

describeWith(
  REDIS_SERVER,
  'Redis going away under the shared rate limits (REDIS_URL, RATE_LIMIT_REDIS_FAILURE=local, the default)',
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

/** One app on a Redis of its own with RATE_LIMIT_REDIS_FAILURE set, counting in that Redis once beforeAll is done. */
function appOnOwnRedis(mode: 'open' | 'closed') {
  const state = {} as { redis: OwnRedis; t: TestApp; adminToken: string };
  let clientCounter = 0;
  const nextClient = () => {
    clientCounter += 1;
    return `10.${Math.floor(clientCounter / 250)}.${clientCounter % 250}.2`;
  };
  const failLogin = async (clientIp = nextClient()) => {
    const started = Date.now();
    const response = await state.t.http
      .post('/api/auth/login')
      .set('X-Forwarded-For', clientIp)
      .send({ email: 'nobody@example.com', password: 'Wrong1234' });
    return { response, ms: Date.now() - started };
  };
  const storedKeys = async () => {
    const client = new Redis(state.redis.url, { maxRetriesPerRequest: 0, retryStrategy: () => null });
    try {
      return await client.keys('regshield:throttle:login:*');
    } finally {
      client.disconnect();
    }
  };
  const countingInRedis = () =>
    waitFor(async () => {
      await failLogin();
      return (await storedKeys()).length > 0 ? true : undefined;
    }, 15_000);

  beforeAll(async () => {
    state.redis = new OwnRedis(await freePort());
    await state.redis.start();
    state.t = await startTestApp({
      env: {
        REDIS_URL: state.redis.url,
        RATE_LIMIT_REDIS_FAILURE: mode,
        LOGIN_RATE_LIMIT: String(LIMIT),
        TRUST_PROXY: 'loopback',
        SIP_INGEST_API_KEY: API_KEY,
      },
    });
    await countingInRedis();
    state.adminToken = await state.t.login(ADMIN.email, ADMIN.password);
  });
  afterAll(async () => {
    await state.t?.close();
    await state.redis?.stop();
  });
  return { state, failLogin, nextClient, countingInRedis };
}

/** The routes that count nothing in Redis, which no RATE_LIMIT_REDIS_FAILURE mode may break. */
async function expectUncountedRoutesWork(t: TestApp, adminToken: string): Promise<void> {
  await t.http.get('/health').expect(200, { status: 'ok', database: 'up' });
  expect((await t.http.get('/metrics').expect(200)).text).toContain('regshield_');
  await t.http.get('/api/auth/me').set('Authorization', `Bearer ${adminToken}`).expect(200);
  await t.http
    .post('/api/sip-security/failed-registrations')
    .set('X-Api-Key', API_KEY)
    .send(failedRegistration('198.51.100.41'))
    .expect(202);
  await t.http.get('/api/sip-security/check/198.51.100.41').set('X-Api-Key', API_KEY).expect(200);
}

describeWith(REDIS_SERVER, 'Redis going away with RATE_LIMIT_REDIS_FAILURE=closed', () => {
  const { state, failLogin, nextClient, countingInRedis } = appOnOwnRedis('closed');

  it('stopped: the rate-limited routes answer 503 with Retry-After at once; every other route still works', async () => {
    await state.redis.stop();
    const { t } = state;
    for (let i = 0; i < 2; i++) {
      const { response, ms } = await failLogin();
      expect(response.status).toBe(503);
      expect(response.headers['retry-after']).toBe('5');
      expect(response.body).toEqual({
        statusCode: 503,
        error: 'Service Unavailable',
        message: RATE_LIMITS_UNAVAILABLE,
      });
      expect(ms).toBeLessThan(ANSWER_BOUND_MS);
    }
    const register = await t.http
      .post('/api/auth/register')
      .set('X-Forwarded-For', nextClient())
      .send({ email: 'closed@example.com', password: 'Secret9876', full_name: 'Closed' });
    expect(register.status).toBe(503);
    const forgot = await t.http
      .post('/api/auth/password/forgot')
      .set('X-Forwarded-For', nextClient())
      .send({ email: 'closed@example.com' });
    expect(forgot.status).toBe(503);
    expect(await t.db.query('SELECT 1 FROM users WHERE email = $1', ['closed@example.com'])).toMatchObject({
      rowCount: 0,
    });
    await expectUncountedRoutesWork(t, state.adminToken);
  });

  it('started again: logins are counted in Redis and answered again, with no restart of the service', async () => {
    await state.redis.start();
    await countingInRedis();
    const ip = nextClient();
    const statuses = [];
    for (let i = 0; i <= LIMIT; i++) statuses.push((await failLogin(ip)).response.status);
    expect(statuses).toEqual([...Array<number>(LIMIT).fill(401), 429]);
  });
});

describeWith(REDIS_SERVER, 'Redis going away with RATE_LIMIT_REDIS_FAILURE=open', () => {
  const { state, failLogin, nextClient, countingInRedis } = appOnOwnRedis('open');

  it('stopped: every login is answered and none is limited; every other route still works', async () => {
    await state.redis.stop();
    const ip = nextClient();
    const answers = [];
    for (let i = 0; i < LIMIT * 2; i++) answers.push(await failLogin(ip));
    expect(answers.map((answer) => answer.response.status)).toEqual(Array<number>(LIMIT * 2).fill(401));
    for (const answer of answers) expect(answer.ms).toBeLessThan(ANSWER_BOUND_MS);
    await expectUncountedRoutesWork(state.t, state.adminToken);
  });

  it('started again: the limit holds again, counted in Redis', async () => {
    await state.redis.start();
    await countingInRedis();
    const ip = nextClient();
    const statuses = [];
    for (let i = 0; i <= LIMIT; i++) statuses.push((await failLogin(ip)).response.status);
    expect(statuses).toEqual([...Array<number>(LIMIT).fill(401), 429]);
  });
});
