import { doorKnock } from '../support/sip-events';
import { ADMIN, startTestApp, TestApp } from '../support/test-app';

/** Issue 6, defect 15: wrong X-Api-Key values were neither logged nor limited. */
describe('X-Api-Key failures (security log and per-client limit)', () => {
  const API_KEY = 'proxy-key-0123456789abcdef';
  const WRONG_KEY = 'guess-0123456789abcdef';
  let t: TestApp;
  const from = (ip: string) => ({ 'X-Forwarded-For': ip });
  const check = (ip: string, key: string) =>
    t.http.get('/api/sip-security/check/192.0.2.200').set(from(ip)).set('X-Api-Key', key);

  beforeAll(async () => {
    t = await startTestApp({
      env: { SIP_INGEST_API_KEY: API_KEY, TRUST_PROXY: 'loopback', API_KEY_RATE_LIMIT: '3', API_KEY_RATE_TTL: '60' },
    });
  });
  afterAll(() => t.close());

  it('logs each wrong key as api_key_rejected with ip, method and route, never the key', async () => {
    const response = await check('198.51.100.1', WRONG_KEY).expect(401);
    expect(response.body).toEqual({ statusCode: 401, error: 'Unauthorized', message: 'Invalid API key' });
    expect(t.securityEvents()).toContainEqual({
      level: 'warn',
      time: expect.any(String),
      log: 'security',
      event: 'api_key_rejected',
      ip: '198.51.100.1',
      method: 'GET',
      path: '/api/sip-security/check/:ip',
    });
    expect(t.securityLogText()).not.toContain(WRONG_KEY);
    expect(t.securityLogText()).not.toContain(API_KEY);
  });

  it('never counts the right key: the proxy is not limited by its own traffic', async () => {
    for (let i = 0; i < 10; i++) {
      await check('198.51.100.2', API_KEY).expect(200);
    }
    await check('198.51.100.2', WRONG_KEY).expect(401);
  });

  it('answers 429 with Retry-After once a client is over the limit, right key included, and logs the hit', async () => {
    for (let i = 0; i < 3; i++) {
      await check('198.51.100.3', `${WRONG_KEY}-${i}`).expect(401);
    }
    const limited = await check('198.51.100.3', WRONG_KEY).expect(429);
    expect(Number(limited.headers['retry-after'])).toBeGreaterThan(0);
    expect(Number(limited.headers['retry-after'])).toBeLessThanOrEqual(60);
    // Otherwise 429 would mean "wrong" and 200 "right", and guessing would go on unhindered.
    await check('198.51.100.3', API_KEY).expect(429);
    await t.http
      .post('/api/sip-security/door-knocks')
      .set(from('198.51.100.3'))
      .set('X-Api-Key', API_KEY)
      .send(doorKnock('192.0.2.201'))
      .expect(429);
    expect(t.securityEvents()).toContainEqual(
      expect.objectContaining({ event: 'rate_limit_hit', ip: '198.51.100.3', limit: 3, window_seconds: 60 }),
    );
  });

  it('limits each client on its own, and leaves bearer tokens alone', async () => {
    await check('198.51.100.4', API_KEY).expect(200);
    const token = await t.login(ADMIN.email, ADMIN.password);
    await t.http
      .get('/api/sip-security/check/192.0.2.200')
      .set(from('198.51.100.3'))
      .set('Authorization', `Bearer ${token}`)
      .expect(200);
  });

  it('counts IPv6 clients per /64', async () => {
    for (let i = 1; i <= 3; i++) {
      await check(`2001:db8:7:7::${i}`, WRONG_KEY).expect(401);
    }
    await check('2001:db8:7:7::99', API_KEY).expect(429);
    await check('2001:db8:7:8::1', API_KEY).expect(200);
  });
});
