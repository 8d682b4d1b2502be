import { Challenge, createChallenge, solveChallenge } from 'altcha-lib';
import { deriveKey as pbkdf2DeriveKey } from 'altcha-lib/algorithms/pbkdf2';
import { CaptchaService } from '../../src/captcha/captcha.service';
import { deriveKey } from '../../src/config/derived-secret';
import { describeWith, unreachableRedis } from '../support/required-tools';
import { ADMIN, closeAll, newUser, startTestApp, TestApp } from '../support/test-app';

// Two instances start in one hook.
jest.setTimeout(30_000);

const CAPTCHA_HMAC_KEY = 'captcha-test-hmac-key-of-32-characters!';
const CAPTCHA_ENV = {
  CAPTCHA: 'altcha',
  CAPTCHA_HMAC_KEY,
  // Little work per challenge, so that solving one here takes milliseconds.
  CAPTCHA_COST: '1',
  CAPTCHA_MAX_COUNTER: '200',
  REGISTER_RATE_LIMIT: '1000',
  CAPTCHA_RATE_LIMIT: '1000',
};

/** Solves a challenge as the ALTCHA widget does and returns the widget's base64 payload. */
async function solve(challenge: Challenge): Promise<string> {
  const solution = await solveChallenge({ challenge, deriveKey: pbkdf2DeriveKey });
  expect(solution).not.toBeNull();
  const payload = { challenge, solution: { counter: solution!.counter, derivedKey: solution!.derivedKey } };
  return Buffer.from(JSON.stringify(payload)).toString('base64');
}

function tamper(
  payload: string,
  change: (decoded: { challenge: Challenge; solution: Record<string, unknown> }) => void,
) {
  const decoded = JSON.parse(Buffer.from(payload, 'base64').toString('utf8'));
  change(decoded);
  return Buffer.from(JSON.stringify(decoded)).toString('base64');
}

describe('CAPTCHA=altcha (real HTTP, real PostgreSQL)', () => {
  let t: TestApp;
  let second: TestApp;

  beforeAll(async () => {
    t = await startTestApp({ env: CAPTCHA_ENV });
    // A second instance on the same database: a challenge is single use across instances.
    second = await startTestApp({ env: CAPTCHA_ENV, databaseUrl: t.databaseUrl });
  });
  afterAll(() => closeAll(t, second));

  const challenge = async (app: TestApp = t) => {
    const response = await app.http.get('/api/auth/captcha').expect(200);
    expect(response.headers['cache-control']).toBe('no-store');
    return response.body as Challenge;
  };
  const register = (captcha: unknown, app: TestApp = t) =>
    app.http.post('/api/auth/register').send(newUser(captcha === undefined ? {} : { captcha }));
  const expectRefused = (response: { status: number; body: unknown }, message: string) => {
    expect(response.status).toBe(422);
    expect(response.body).toEqual({ statusCode: 422, error: 'Unprocessable Entity', message: [message] });
  };

  it('issues signed, expiring PBKDF2 challenges', async () => {
    const { parameters, signature } = await challenge();
    expect(parameters).toMatchObject({ algorithm: 'PBKDF2/SHA-256', cost: 1, keyLength: 32 });
    expect(parameters.expiresAt).toBeGreaterThan(Date.now() / 1000 + 590);
    expect(parameters.expiresAt).toBeLessThanOrEqual(Date.now() / 1000 + 601);
    expect(parameters.keySignature).toMatch(/^[0-9a-f]{64}$/);
    expect(signature).toMatch(/^[0-9a-f]{64}$/);
  });

  it('accepts a solved challenge once: a replay is refused, on this instance and on another', async () => {
    const payload = await solve(await challenge());
    await register(payload).expect(201);
    expectRefused(await register(payload), 'captcha has already been used: solve a new challenge');
    expectRefused(await register(payload, second), 'captcha has already been used: solve a new challenge');
    expect(t.securityEvents()).toContainEqual(
      expect.objectContaining({ event: 'captcha_rejected', reason: 'replayed' }),
    );
  });

  it('lets exactly one of several concurrent requests with the same solution through', async () => {
    const payload = await solve(await challenge());
    const responses = await Promise.all([t, second, t, second].map((app) => register(payload, app)));
    expect(responses.map((response) => response.status).sort()).toEqual([201, 422, 422, 422]);
  });

  it('accepts a challenge issued by another instance', async () => {
    await register(await solve(await challenge(second))).expect(201);
  });

  it('refuses a missing, malformed, wrong or tampered solution (422), and logs why', async () => {
    const missing = 'captcha is required: solve a challenge from GET /api/auth/captcha';
    const invalid = 'captcha is not a valid solution of a challenge issued here';
    expectRefused(await register(undefined), missing);
    expectRefused(await register(''), missing);
    expectRefused(await register('not base64 json'), invalid);
    expectRefused(await register(Buffer.from('{"a":1}').toString('base64')), invalid);
    await register(42).expect(422);

    const payload = await solve(await challenge());
    const wrongKey = tamper(payload, (decoded) => {
      decoded.solution.derivedKey = '00'.repeat(32);
    });
    expectRefused(await register(wrongKey), invalid);
    const easier = tamper(payload, (decoded) => {
      decoded.challenge.parameters.keyPrefix = '0';
    });
    expectRefused(await register(easier), invalid);
    const longer = tamper(payload, (decoded) => {
      decoded.challenge.parameters.expiresAt! += 3600;
    });
    expectRefused(await register(longer), invalid);
    // None of these spent the genuine solution.
    await register(payload).expect(201);
    expect(t.securityEvents()).toContainEqual(
      expect.objectContaining({ event: 'captcha_rejected', reason: 'missing' }),
    );
  });

  it('refuses a challenge signed with another key, and an expired one', async () => {
    const signedWith = (secret: string, expiresAt: number) =>
      createChallenge({
        algorithm: 'PBKDF2/SHA-256',
        cost: 1,
        counter: 10,
        deriveKey: pbkdf2DeriveKey,
        expiresAt,
        hmacSignatureSecret: deriveKey(secret, 'altcha-challenge').toString('hex'),
        hmacKeySignatureSecret: deriveKey(secret, 'altcha-key').toString('hex'),
      });
    const inAnHour = Math.floor(Date.now() / 1000) + 3600;
    expectRefused(
      await register(await solve(await signedWith('another-key-of-at-least-32-characters', inAnHour))),
      'captcha is not a valid solution of a challenge issued here',
    );
    // Signed as this service signs (same key, same derivation), but past its expiry.
    const expired = await signedWith(CAPTCHA_HMAC_KEY, Math.floor(Date.now() / 1000) - 1);
    expectRefused(await register(await solve(expired)), 'captcha has expired: solve a new challenge');
    await register(await solve(await signedWith(CAPTCHA_HMAC_KEY, inAnHour))).expect(201);
  });

  it('prunes spent challenges once they have expired, batch after batch', async () => {
    await t.db.query(
      `INSERT INTO captcha_spent_challenges (signature, expires_at)
       SELECT 'old-' || n, now() - interval '1 second' FROM generate_series(1, 2500) AS n`,
    );
    expect(await t.app.get(CaptchaService).pruneExpired()).toBeGreaterThanOrEqual(2500);
    const { rows } = await t.db.query(
      `SELECT count(*)::int AS n FROM captcha_spent_challenges WHERE expires_at < now()`,
    );
    expect(rows[0].n).toBe(0);
  });
});

describe('CAPTCHA=altcha on the forgotten-password route', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp({ env: CAPTCHA_ENV });
  });
  afterAll(() => t.close());

  it('needs a solved challenge (422 without, 202 with), usable once', async () => {
    const forgot = (body: object) => t.http.post('/api/auth/password/forgot').send({ email: ADMIN.email, ...body });
    const missing = await forgot({}).expect(422);
    expect(JSON.stringify(missing.body.message)).toContain('captcha');
    const payload = await solve((await t.http.get('/api/auth/captcha').expect(200)).body as Challenge);
    await forgot({ captcha: payload }).expect(202);
    await forgot({ captcha: payload }).expect(422);
  });
});

describe('CAPTCHA=altcha with REGISTRATION_MODE=admin_only', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp({ env: { ...CAPTCHA_ENV, REGISTRATION_MODE: 'admin_only' } });
  });
  afterAll(() => t.close());

  it('answers the missing admin token before looking at the captcha, which stays unspent', async () => {
    const payload = await solve((await t.http.get('/api/auth/captcha').expect(200)).body as Challenge);
    await t.http
      .post('/api/auth/register')
      .send(newUser({ captcha: payload }))
      .expect(401);
    const token = await t.login(ADMIN.email, ADMIN.password);
    await t.http
      .post('/api/auth/register')
      .set({ Authorization: `Bearer ${token}` })
      .send(newUser({ captcha: payload }))
      .expect(201);
  });
});

describe('CAPTCHA off (the default)', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp({ env: { REGISTER_RATE_LIMIT: '1000' } });
  });
  afterAll(() => t.close());

  it('registers as before, without the field or ignoring it, and has no challenge route', async () => {
    await t.http.post('/api/auth/register').send(newUser()).expect(201);
    await t.http
      .post('/api/auth/register')
      .send(newUser({ captcha: 'anything' }))
      .expect(201);
    await t.http.post('/api/auth/password/forgot').send({ email: ADMIN.email }).expect(202);
    const response = await t.http.get('/api/auth/captcha').expect(404);
    expect(response.body).toEqual({ statusCode: 404, error: 'Not Found', message: 'CAPTCHA is off' });
  });
});

describe('GET /api/auth/captcha is limited per client IP (CAPTCHA_RATE_LIMIT / CAPTCHA_RATE_TTL)', () => {
  /** A client address of its own for each run, so that counters left in Redis by an earlier run do not count. */
  const randomClient = () => `10.${[0, 0, 0].map(() => Math.floor(Math.random() * 256)).join('.')}`;
  const env = { ...CAPTCHA_ENV, CAPTCHA_RATE_LIMIT: '3', CAPTCHA_RATE_TTL: '60', TRUST_PROXY: 'loopback' };
  const fetchChallenge = (app: TestApp, client: string) =>
    app.http.get('/api/auth/captcha').set('X-Forwarded-For', client);
  const expectLimited = (response: { status: number; headers: Record<string, string>; body: unknown }) => {
    expect(response.status).toBe(429);
    expect(Number(response.headers['retry-after'])).toBeGreaterThan(0);
    expect(response.body).toEqual({
      statusCode: 429,
      error: 'Too Many Requests',
      message: 'Too many requests, try again later',
    });
  };

  describe('one instance', () => {
    let t: TestApp;
    beforeAll(async () => {
      t = await startTestApp({ env });
    });
    afterAll(() => t.close());

    it('answers 429 with Retry-After past the limit, per client, and leaves sign-up and login their own limits', async () => {
      const client = randomClient();
      for (let i = 0; i < 3; i++) await fetchChallenge(t, client).expect(200);
      expectLimited(await fetchChallenge(t, client));
      expect(t.securityEvents()).toContainEqual(
        expect.objectContaining({ event: 'rate_limit_hit', ip: client, path: '/api/auth/captcha', limit: 3 }),
      );
      const other = randomClient();
      const payload = await solve((await fetchChallenge(t, other).expect(200)).body as Challenge);
      await t.http
        .post('/api/auth/register')
        .set('X-Forwarded-For', client)
        .send(newUser({ captcha: payload }))
        .expect(201);
      await t.http.post('/api/auth/login').set('X-Forwarded-For', client).send(ADMIN).expect(200);
    });
  });

  const redisUrl = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
  describeWith([unreachableRedis(redisUrl)], 'two instances sharing REDIS_URL', () => {
    let first: TestApp;
    let second: TestApp;
    beforeAll(async () => {
      first = await startTestApp({ env: { ...env, REDIS_URL: redisUrl } });
      second = await startTestApp({ env: { ...env, REDIS_URL: redisUrl }, databaseUrl: first.databaseUrl });
    });
    afterAll(() => closeAll(first, second));

    it('count one limit together', async () => {
      const client = randomClient();
      await fetchChallenge(first, client).expect(200);
      await fetchChallenge(second, client).expect(200);
      await fetchChallenge(first, client).expect(200);
      expectLimited(await fetchChallenge(second, client));
      expectLimited(await fetchChallenge(first, client));
    });
  });
});
