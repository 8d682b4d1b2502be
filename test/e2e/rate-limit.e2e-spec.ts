import Redis from 'ioredis';
import { closeAll, credentials, newUser, startTestApp, TestApp, useTestApp } from '../support/test-app';
import { describeWith, unreachableRedis, unsetVariable } from '../support/required-tools';

describe('Rate limits per client IP', () => {
  const failLogin = (t: TestApp, forwardedFor: string) =>
    t.http
      .post('/api/auth/login')
      .set('X-Forwarded-For', forwardedFor)
      .send({ email: 'nobody@example.com', password: 'Wrong1234' });
  /** The client addresses of the event's lines (not the initial admin's user_created, made by the system). */
  const loggedIps = (t: TestApp, event: string) =>
    t
      .securityEvents()
      .filter((entry) => entry.event === event && entry.actor !== 'system')
      .map((entry) => entry.ip);

  describe('defaults, no TRUST_PROXY', () => {
    const t = useTestApp();

    it('allows 3 registrations an hour, then answers 429 with Retry-After (seed test 1)', async () => {
      for (let i = 0; i < 3; i++) {
        // A different X-Forwarded-For each time: without TRUST_PROXY it must not buy a fresh limit.
        await t.http.post('/api/auth/register').set('X-Forwarded-For', `198.51.100.${i}`).send(newUser()).expect(201);
      }
      const body = newUser();
      const blocked = await t.http
        .post('/api/auth/register')
        .set('X-Forwarded-For', '198.51.100.99')
        .send(body)
        .expect(429);
      expect(blocked.body).toMatchObject({ statusCode: 429, error: 'Too Many Requests' });
      const retryAfter = Number(blocked.headers['retry-after']);
      expect(retryAfter).toBeGreaterThan(3500);
      expect(retryAfter).toBeLessThanOrEqual(3600);
      const { rows } = await t.db.query('SELECT 1 FROM users WHERE email = $1', [body.email]);
      expect(rows).toHaveLength(0);
      expect(t.securityEvents()).toContainEqual(
        expect.objectContaining({ event: 'rate_limit_hit', ip: '127.0.0.1', path: '/api/auth/register' }),
      );
    });

    it('keeps the login limit apart from the registration limit: 10 a minute', async () => {
      for (let i = 0; i < 10; i++) {
        await t.http.post('/api/auth/login').send({ email: 'nobody@example.com', password: 'Wrong1234' }).expect(401);
      }
      const blocked = await t.http
        .post('/api/auth/login')
        .send({ email: 'nobody@example.com', password: 'Wrong1234' })
        .expect(429);
      expect(Number(blocked.headers['retry-after'])).toBeGreaterThan(0);
      expect(Number(blocked.headers['retry-after'])).toBeLessThanOrEqual(60);
    });

    it('never throttles /health, /docs or /me', async () => {
      for (let i = 0; i < 30; i++) {
        await t.http.get('/health').expect(200);
      }
      await t.http.get('/docs-json').expect(200);
      await t.http.get('/api/auth/me').expect(401);
    });
  });

  describe('behind a trusted proxy (TRUST_PROXY=loopback)', () => {
    const t = useTestApp({ env: { TRUST_PROXY: 'loopback', REGISTER_RATE_LIMIT: '2' } });

    it('counts each client the proxy names in X-Forwarded-For', async () => {
      for (const client of ['203.0.113.1', '203.0.113.2']) {
        await t.http.post('/api/auth/register').set('X-Forwarded-For', client).send(newUser()).expect(201);
        await t.http.post('/api/auth/register').set('X-Forwarded-For', client).send(newUser()).expect(201);
        await t.http.post('/api/auth/register').set('X-Forwarded-For', client).send(newUser()).expect(429);
      }
      expect(loggedIps(t, 'user_created')).toEqual(['203.0.113.1', '203.0.113.1', '203.0.113.2', '203.0.113.2']);
    });

    it('takes the client from the right of the list: a spoofed left-most entry does not help', async () => {
      // The client (203.0.113.1, already blocked) prepends a fake address; the proxy appends the real one.
      await t.http
        .post('/api/auth/register')
        .set('X-Forwarded-For', '10.9.9.9, 203.0.113.1')
        .send(newUser())
        .expect(429);
    });
  });

  describe('behind one proxy given as a hop count (TRUST_PROXY=1)', () => {
    const t = useTestApp({ env: { TRUST_PROXY: '1', REGISTER_RATE_LIMIT: '2' } });

    it('counts each client the proxy names, one hop from the socket peer', async () => {
      for (const client of ['203.0.113.1', '203.0.113.2']) {
        await t.http.post('/api/auth/register').set('X-Forwarded-For', client).send(newUser()).expect(201);
        await t.http.post('/api/auth/register').set('X-Forwarded-For', client).send(newUser()).expect(201);
        await t.http.post('/api/auth/register').set('X-Forwarded-For', client).send(newUser()).expect(429);
      }
      expect(loggedIps(t, 'user_created')).toEqual(['203.0.113.1', '203.0.113.1', '203.0.113.2', '203.0.113.2']);
    });

    it('ignores what the client wrote left of the address the proxy appended', async () => {
      await t.http
        .post('/api/auth/register')
        .set('X-Forwarded-For', '10.9.9.9, 203.0.113.1')
        .send(newUser())
        .expect(429);
      await failLogin(t, '10.9.9.9, 203.0.113.3').expect(401);
      expect(loggedIps(t, 'login_failed')).toEqual(['203.0.113.3']);
    });

    it('takes the socket peer when there is no X-Forwarded-For', async () => {
      await t.http.post('/api/auth/login').send({ email: 'nobody@example.com', password: 'Wrong1234' }).expect(401);
      expect(loggedIps(t, 'login_failed')).toContain('127.0.0.1');
    });
  });

  describe('behind two proxies given as a hop count (TRUST_PROXY=2)', () => {
    const t = useTestApp({ env: { TRUST_PROXY: '2' } });

    it('takes the address two hops from the socket peer', async () => {
      // client 203.0.113.7 → proxy 10.0.0.2 → proxy 127.0.0.1 (the socket peer).
      await failLogin(t, '198.51.100.66, 203.0.113.7, 10.0.0.2').expect(401);
      expect(loggedIps(t, 'login_failed')).toEqual(['203.0.113.7']);
    });

    it('never takes a host name or a malformed address from the header: the nearest valid hop instead', async () => {
      await failLogin(t, 'victim.example.org, 203.0.113.9').expect(401);
      await failLogin(t, '999.1.1.1, 203.0.113.9').expect(401);
      await failLogin(t, 'victim.example.org, h0').expect(401);
      expect(loggedIps(t, 'login_failed').slice(-3)).toEqual(['203.0.113.9', '203.0.113.9', '127.0.0.1']);
    });
  });

  describe('a client rotating junk in X-Forwarded-For (TRUST_PROXY=loopback)', () => {
    const t = useTestApp({ env: { TRUST_PROXY: 'loopback', LOGIN_RATE_LIMIT: '3' } });

    it('is counted as the hop that sent it, so junk buys no fresh login limit, and never logged as an ip', async () => {
      for (const junk of ['victim.example.org', '999.1.1.1', 'h0']) {
        await failLogin(t, junk).expect(401);
      }
      await failLogin(t, 'h1').expect(429);
      expect(loggedIps(t, 'login_failed')).toEqual(['127.0.0.1', '127.0.0.1', '127.0.0.1']);
      expect(loggedIps(t, 'rate_limit_hit')).toEqual(['127.0.0.1']);
    });
  });

  const redisUrl = process.env.REDIS_URL;
  const noRedis = redisUrl ? unreachableRedis(redisUrl) : unsetVariable('REDIS_URL', 'point it at a Redis');
  describeWith([noRedis], 'shared by several instances through REDIS_URL', () => {
    let first: TestApp;
    let second: TestApp;
    beforeAll(async () => {
      const redis = new Redis(redisUrl!);
      const keys = await redis.keys('regshield:throttle:*');
      if (keys.length > 0) await redis.del(...keys);
      await redis.quit();
      const env = { REDIS_URL: redisUrl!, LOGIN_RATE_LIMIT: '4' };
      first = await startTestApp({ env });
      second = await startTestApp({ env, databaseUrl: first.databaseUrl });
    });
    afterAll(() => closeAll(first, second));

    it('enforces one limit across two instances', async () => {
      const attempt = (t: TestApp) =>
        t.http.post('/api/auth/login').send(credentials({ email: 'nobody@example.com', password: 'Wrong1234' }));
      expect((await attempt(first)).status).toBe(401);
      expect((await attempt(second)).status).toBe(401);
      expect((await attempt(first)).status).toBe(401);
      expect((await attempt(second)).status).toBe(401);
      const blocked = await attempt(first);
      expect(blocked.status).toBe(429);
      expect(Number(blocked.headers['retry-after'])).toBeGreaterThan(0);
      expect((await attempt(second)).status).toBe(429);
    });
  });
});
