import Redis from 'ioredis';
import { credentials, newUser, startTestApp, TestApp } from '../support/test-app';

describe('Rate limits per client IP', () => {
  describe('defaults, no TRUST_PROXY', () => {
    let t: TestApp;
    beforeAll(async () => {
      t = await startTestApp();
    });
    afterAll(() => t.close());

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
    let t: TestApp;
    beforeAll(async () => {
      t = await startTestApp({ env: { TRUST_PROXY: 'loopback', REGISTER_RATE_LIMIT: '2' } });
    });
    afterAll(() => t.close());

    it('counts each client the proxy names in X-Forwarded-For', async () => {
      for (const client of ['203.0.113.1', '203.0.113.2']) {
        await t.http.post('/api/auth/register').set('X-Forwarded-For', client).send(newUser()).expect(201);
        await t.http.post('/api/auth/register').set('X-Forwarded-For', client).send(newUser()).expect(201);
        await t.http.post('/api/auth/register').set('X-Forwarded-For', client).send(newUser()).expect(429);
      }
      const created = t.securityEvents().filter((event) => event.event === 'user_created');
      expect(created.map((event) => event.ip)).toEqual(['203.0.113.1', '203.0.113.1', '203.0.113.2', '203.0.113.2']);
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

  const redisUrl = process.env.REDIS_URL;
  (redisUrl ? describe : describe.skip)('shared by several instances through REDIS_URL', () => {
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
    afterAll(async () => {
      await second.db.end();
      await second.app.close();
      await first.close();
    });

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
