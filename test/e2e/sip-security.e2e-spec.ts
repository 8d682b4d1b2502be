import { doorKnock, failedRegistration } from '../support/sip-events';
import { Client } from 'pg';
import { ADMIN, newUser, startTestApp, TestApp } from '../support/test-app';
import { createTestDatabase } from '../support/test-database';
import { BanEngineService } from '../../src/sip-security/ban-engine.service';
import { waitFor } from '../support/wait';

const API_KEY = 'proxy-key-0123456789abcdef';

describe('SIP security (real HTTP, real PostgreSQL)', () => {
  jest.setTimeout(60_000);
  let t: TestApp;
  let admin: string;
  let userToken: string;
  const key = { 'X-Api-Key': API_KEY };
  const bearer = (token: string) => ({ Authorization: `Bearer ${token}` });
  const banOf = async (cidr: string) => {
    const response = await t.http.get('/api/sip-security/bans').set(bearer(admin)).expect(200);
    return (response.body as Array<{ cidr: string }>).find((ban) => ban.cidr === cidr) as
      | { id: number; cidr: string; reason: string; source: string; created_at: string; expires_at: string | null }
      | undefined;
  };

  /** One look of the ban engine at the events so far: proves a ban did not happen without sleeping. */
  const evaluate = (app = t) => app.app.get(BanEngineService).evaluate();

  beforeAll(async () => {
    t = await startTestApp({
      env: {
        SIP_INGEST_API_KEY: API_KEY,
        SIP_ALLOWLIST: '127.0.0.0/8,::1/128,198.51.100.0/24',
        REGISTER_RATE_LIMIT: '100',
      },
    });
    admin = await t.login(ADMIN.email, ADMIN.password);
    const user = newUser();
    const created = await t.http.post('/api/auth/register').send(user).expect(201);
    await t.http.post(`/api/admin/users/${created.body.id}/activate`).set(bearer(admin)).expect(200);
    userToken = await t.login(user.email, user.password);
  });
  afterAll(() => t.close());

  describe('ingest', () => {
    it('takes one event with the API key, stores every field, and answers 202 {accepted, ignored}', async () => {
      const event = failedRegistration('192.0.2.10', { user_agent: 'O\'Brien\u0000 "scanner"; DROP TABLE users; --' });
      const response = await t.http.post('/api/sip-security/failed-registrations').set(key).send(event).expect(202);
      expect(response.body).toEqual({ accepted: 1, ignored: 0 });
      const { rows } = await t.db.query(
        `SELECT username, domain, host(source_ip) AS source_ip, source_port, user_agent, response_code, response_reason, expires
           FROM failed_registrations WHERE source_ip = '192.0.2.10'`,
      );
      expect(rows).toEqual([{ ...event, user_agent: 'O\'Brien "scanner"; DROP TABLE users; --' }]);
    });

    it('ignores 401 (and 407) challenges: counted as ignored, never stored', async () => {
      const response = await t.http
        .post('/api/sip-security/failed-registrations')
        .set(key)
        .send([
          failedRegistration('192.0.2.11', { response_code: 401 }),
          failedRegistration('192.0.2.11', { response_code: 407 }),
          failedRegistration('192.0.2.11'),
        ])
        .expect(202);
      expect(response.body).toEqual({ accepted: 1, ignored: 2 });
      const { rows } = await t.db.query(
        `SELECT response_code FROM failed_registrations WHERE source_ip = '192.0.2.11'`,
      );
      expect(rows).toEqual([{ response_code: 403 }]);
    });

    it('takes door knocks, IPv6 and IPv4-mapped sources included', async () => {
      const response = await t.http
        .post('/api/sip-security/door-knocks')
        .set(key)
        .send([doorKnock('2001:db8:aa::1'), doorKnock('::ffff:192.0.2.12', { reason: 'domain_mismatch' })])
        .expect(202);
      expect(response.body).toEqual({ accepted: 2, ignored: 0 });
      const { rows } = await t.db.query(
        `SELECT host(source_ip) AS ip, reason FROM door_knock_attempts WHERE source_ip IN ('2001:db8:aa::1', '192.0.2.12') ORDER BY id`,
      );
      expect(rows).toEqual([
        { ip: '2001:db8:aa::1', reason: 'unknown_domain' },
        { ip: '192.0.2.12', reason: 'domain_mismatch' },
      ]);
    });

    it('takes a batch of 10 000 in one request (far over the 100 KiB limit of other routes)', async () => {
      const batch = Array.from({ length: 10_000 }, (_, i) =>
        failedRegistration(`10.77.${i >> 8}.${i & 255}`, { response_code: 404 }),
      );
      const response = await t.http.post('/api/sip-security/failed-registrations').set(key).send(batch).expect(202);
      expect(response.body).toEqual({ accepted: 10_000, ignored: 0 });
      const { rows } = await t.db.query(
        `SELECT count(*)::int AS n FROM failed_registrations WHERE source_ip << '10.77.0.0/16'`,
      );
      expect(rows[0].n).toBe(10_000);
    });

    it.each([
      ['an invalid IP', failedRegistration('999.1.1.1'), 'source_ip must be an IPv4 or IPv6 address'],
      ['an IPv6 zone id', failedRegistration('fe80::1%eth0'), 'source_ip must be an IPv4 or IPv6 address'],
      [
        'a port over 65535',
        failedRegistration('192.0.2.20', { source_port: 70000 }),
        'source_port must not be greater than 65535',
      ],
      ['a negative port', failedRegistration('192.0.2.20', { source_port: -1 }), 'source_port must not be less than 0'],
      [
        'a code under 100',
        failedRegistration('192.0.2.20', { response_code: 99 }),
        'response_code must not be less than 100',
      ],
      [
        'a text code',
        failedRegistration('192.0.2.20', { response_code: '403' }),
        'response_code must be an integer number',
      ],
      ['a missing code', failedRegistration('192.0.2.20', { response_code: undefined }), 'response_code is required'],
      ['a null IP', failedRegistration('192.0.2.20', { source_ip: null }), 'source_ip must be a string'],
      [
        'an over-long user agent',
        failedRegistration('192.0.2.20', { user_agent: 'x'.repeat(1025) }),
        'user_agent must be shorter than or equal to 1024 characters',
      ],
      [
        'an unknown field',
        failedRegistration('192.0.2.20', { created_at: '2020-01-01T00:00:00Z' }),
        'property created_at should not exist',
      ],
    ])('rejects %s with 422, naming it, and stores nothing of the batch', async (_, bad, message) => {
      const response = await t.http
        .post('/api/sip-security/failed-registrations')
        .set(key)
        .send([failedRegistration('192.0.2.21'), bad])
        .expect(422);
      expect(response.body.message).toContain(`[1].${message}`);
      const { rows } = await t.db.query(
        `SELECT 1 FROM failed_registrations WHERE source_ip IN ('192.0.2.20', '192.0.2.21')`,
      );
      expect(rows).toHaveLength(0);
    });

    it.each([
      ['an empty batch', []],
      ['a string', '"hello"'],
      ['an array of strings', ['a']],
      ['over 10 000 events', Array.from({ length: 10_001 }, () => doorKnock('192.0.2.22'))],
    ])('rejects %s with 422', async (_, body) => {
      const request = t.http.post('/api/sip-security/door-knocks').set(key).set('Content-Type', 'application/json');
      await request.send(typeof body === 'string' ? body : JSON.stringify(body)).expect(422);
    });

    it('refuses a missing or wrong key (401) and a non-admin token (403); takes a superuser token', async () => {
      await t.http.post('/api/sip-security/door-knocks').send(doorKnock('192.0.2.23')).expect(401);
      await t.http
        .post('/api/sip-security/door-knocks')
        .set('X-Api-Key', 'wrong')
        .send(doorKnock('192.0.2.23'))
        .expect(401);
      await t.http
        .post('/api/sip-security/door-knocks')
        .set(bearer(userToken))
        .send(doorKnock('192.0.2.23'))
        .expect(403);
      await t.http.post('/api/sip-security/door-knocks').set(bearer(admin)).send(doorKnock('192.0.2.23')).expect(202);
      await t.http.get('/api/sip-security/check/192.0.2.23').expect(401);
      await t.http.get('/api/sip-security/bans/export').set(bearer(userToken)).expect(403);
    });
  });

  describe('listings and stats', () => {
    beforeAll(async () => {
      await t.http
        .post('/api/sip-security/failed-registrations')
        .set(key)
        .send([
          failedRegistration('203.0.113.80', { username: 'alice', response_code: 403 }),
          failedRegistration('203.0.113.80', { username: 'bob', response_code: 404, domain: 'other.example.com' }),
          failedRegistration('203.0.113.81', { username: 'alice', response_code: 403 }),
        ])
        .expect(202);
    });

    it('lists failed registrations newest first with filters, paging and X-Total-Count', async () => {
      const all = await t.http
        .get('/api/sip-security/failed-registrations?source_ip=203.0.113.80')
        .set(bearer(admin))
        .expect(200);
      expect(all.body.map((e: { username: string }) => e.username)).toEqual(['bob', 'alice']);
      expect(all.headers['x-total-count']).toBe('2');
      expect(Object.keys(all.body[0]).sort()).toEqual([
        'created_at',
        'domain',
        'expires',
        'id',
        'response_code',
        'response_reason',
        'source_ip',
        'source_port',
        'user_agent',
        'username',
      ]);
      const alice = await t.http
        .get('/api/sip-security/failed-registrations?username=alice&response_code=403')
        .set(bearer(admin))
        .expect(200);
      expect(alice.body.map((e: { source_ip: string }) => e.source_ip).sort()).toEqual([
        '203.0.113.80',
        '203.0.113.81',
      ]);
      const domain = await t.http
        .get('/api/sip-security/failed-registrations?domain=other.example.com')
        .set(bearer(admin))
        .expect(200);
      expect(domain.body).toHaveLength(1);
      const page = await t.http
        .get('/api/sip-security/failed-registrations?skip=1&limit=1&source_ip=203.0.113.80')
        .set(bearer(admin))
        .expect(200);
      expect(page.body.map((e: { username: string }) => e.username)).toEqual(['alice']);
      const future = await t.http
        .get(`/api/sip-security/failed-registrations?since=${new Date(Date.now() + 3600_000).toISOString()}`)
        .set(bearer(admin))
        .expect(200);
      expect(future.body).toEqual([]);
      const past = await t.http
        .get('/api/sip-security/failed-registrations?until=2000-01-01T00:00:00Z')
        .set(bearer(admin))
        .expect(200);
      expect(past.headers['x-total-count']).toBe('0');
    });

    it('lists door knocks by reason', async () => {
      const response = await t.http
        .get('/api/sip-security/door-knocks?reason=domain_mismatch')
        .set(bearer(admin))
        .expect(200);
      expect(response.body.map((e: { source_ip: string }) => e.source_ip)).toEqual(['192.0.2.12']);
    });

    it.each([
      '/api/sip-security/failed-registrations?source_ip=nope',
      '/api/sip-security/failed-registrations?response_code=abc',
      '/api/sip-security/failed-registrations?since=yesterday',
      '/api/sip-security/failed-registrations?limit=0',
      '/api/sip-security/door-knocks?skip=-1',
      '/api/sip-security/door-knocks?color=red',
      '/api/sip-security/stats?since=never',
      '/api/sip-security/door-knocks?since=-271821-04-20T00:00:00Z',
      '/api/sip-security/failed-registrations?until=%2B275760-09-13T00:00:00Z',
      '/api/sip-security/door-knocks?skip=1e20',
    ])('rejects %s with 422', async (path) => {
      await t.http.get(path).set(bearer(admin)).expect(422);
    });

    it('refuses listings to the API key: they are for admins', async () => {
      await t.http.get('/api/sip-security/failed-registrations').set(key).expect(401);
    });

    it('gives totals, counts by code and reason, and top sources with their ban state', async () => {
      const response = await t.http.get('/api/sip-security/stats').set(bearer(admin)).expect(200);
      const { rows } = await t.db.query(
        'SELECT (SELECT count(*) FROM failed_registrations)::int AS f, (SELECT count(*) FROM door_knock_attempts)::int AS d',
      );
      expect(response.body.totals).toEqual({ failed_registrations: rows[0].f, door_knocks: rows[0].d });
      expect(response.body.by_response_code).toEqual(
        expect.arrayContaining([{ response_code: 404, count: expect.any(Number) }]),
      );
      expect(response.body.by_reason).toEqual(expect.arrayContaining([{ reason: 'domain_mismatch', count: 1 }]));
      expect(response.body.top_sources[0]).toEqual({
        source_ip: expect.any(String),
        failed_registrations: expect.any(Number),
        door_knocks: expect.any(Number),
        total: expect.any(Number),
        banned: expect.any(Boolean),
        ban_expires_at: null,
        allowlisted: expect.any(Boolean),
      });
      const later = await t.http
        .get(`/api/sip-security/stats?since=${new Date(Date.now() + 60_000).toISOString()}`)
        .set(bearer(admin))
        .expect(200);
      expect(later.body.totals).toEqual({ failed_registrations: 0, door_knocks: 0 });
    });
  });

  describe('automatic bans', () => {
    it('bans a source with 5 counted events (API), logs it, and answers check/ and export from memory', async () => {
      await t.http
        .post('/api/sip-security/failed-registrations')
        .set(key)
        .send([
          ...Array.from({ length: 3 }, () => failedRegistration('203.0.113.50')),
          failedRegistration('203.0.113.50', { response_code: 401 }),
        ])
        .expect(202);
      await t.http.post('/api/sip-security/door-knocks').set(key).send(doorKnock('203.0.113.50')).expect(202);
      await evaluate();
      expect(await banOf('203.0.113.50/32')).toBeUndefined();
      await t.http.post('/api/sip-security/door-knocks').set(key).send(doorKnock('203.0.113.50')).expect(202);

      const ban = await waitFor(() => banOf('203.0.113.50/32'));
      expect(ban).toMatchObject({
        source: 'auto',
        reason: '3 failed registrations and 2 door knocks (unknown_domain ×2) for 2 usernames within 600 s',
      });
      const seconds = (Date.parse(ban.expires_at!) - Date.parse(ban.created_at)) / 1000;
      expect(seconds).toBeCloseTo(3600, 0);

      const check = await t.http.get('/api/sip-security/check/203.0.113.50').set(key).expect(200);
      expect(check.body).toEqual({
        ip: '203.0.113.50',
        banned: true,
        allowlisted: false,
        expires_at: ban.expires_at,
        reason: ban.reason,
      });
      const plain = await t.http.get('/api/sip-security/bans/export').set(key).expect(200);
      expect(plain.headers['content-type']).toContain('text/plain');
      expect(plain.text.split('\n')).toContain('203.0.113.50/32');
      const json = await t.http.get('/api/sip-security/bans/export?format=json').set(key).expect(200);
      expect(json.body).toContainEqual(ban);
      expect(t.securityEvents()).toContainEqual(
        expect.objectContaining({
          event: 'sip_ban_created',
          cidr: '203.0.113.50/32',
          source: 'auto',
          rule: 'max_retry',
          hits: 5,
          ip: '203.0.113.50',
        }),
      );
      const stats = await t.http.get('/api/sip-security/stats').set(bearer(admin)).expect(200);
      expect(stats.body.top_sources).toContainEqual(
        expect.objectContaining({ source_ip: '203.0.113.50', banned: true, ban_expires_at: ban.expires_at }),
      );
    });

    it('sees events the proxy inserted with plain SQL, and never counts stored 401s', async () => {
      await t.db.query(
        `INSERT INTO failed_registrations (username, domain, source_ip, source_port, user_agent, response_code, response_reason)
         SELECT '1000', 'sip.example.com', '203.0.113.60', 5060, 'sipcli', 401, 'Unauthorized' FROM generate_series(1, 10)`,
      );
      await evaluate();
      expect(await banOf('203.0.113.60/32')).toBeUndefined();
      await t.db.query(
        `INSERT INTO door_knock_attempts (source_ip, source_port, method, reason) SELECT '203.0.113.60', 5060, 'OPTIONS', 'unknown_domain' FROM generate_series(1, 5)`,
      );
      const ban = await waitFor(() => banOf('203.0.113.60/32'));
      expect(ban.source).toBe('auto');
    });

    it('bans an IPv6 source by its /64', async () => {
      await t.http
        .post('/api/sip-security/failed-registrations')
        .set(key)
        .send(Array.from({ length: 5 }, (_, i) => failedRegistration(`2001:db8:5:6::${i + 1}`)))
        .expect(202);
      await waitFor(() => banOf('2001:db8:5:6::/64'));
      const check = await t.http.get('/api/sip-security/check/2001:db8:5:6:ffff::9').set(key).expect(200);
      expect(check.body.banned).toBe(true);
      expect((await t.http.get('/api/sip-security/check/2001:db8:5:7::1').set(key).expect(200)).body.banned).toBe(
        false,
      );
    });

    it('never bans an allowlisted source (SIP_ALLOWLIST or stored)', async () => {
      await t.http
        .post('/api/sip-security/allowlist')
        .set(bearer(admin))
        .send({ cidr: '2001:db8:77::/48', description: 'trunk' })
        .expect(201);
      await t.http
        .post('/api/sip-security/door-knocks')
        .set(key)
        .send([
          ...Array.from({ length: 6 }, () => doorKnock('198.51.100.9')),
          ...Array.from({ length: 6 }, () => doorKnock('2001:db8:77::5')),
        ])
        .expect(202);
      await evaluate();
      expect(await banOf('198.51.100.9/32')).toBeUndefined();
      expect(await banOf('2001:db8:77::/64')).toBeUndefined();
      const check = await t.http.get('/api/sip-security/check/198.51.100.9').set(key).expect(200);
      expect(check.body).toMatchObject({ banned: false, allowlisted: true });
    });

    it('bans a repeat offender for factor × the last ban, counting only events after the last ban', async () => {
      const ip = '203.0.113.70';
      await t.http
        .post('/api/sip-security/door-knocks')
        .set(key)
        .send(Array.from({ length: 5 }, () => doorKnock(ip)))
        .expect(202);
      const first = await waitFor(() => banOf(`${ip}/32`));
      await t.http.delete(`/api/sip-security/bans/${first.id}`).set(bearer(admin)).expect(204);
      await t.http
        .post('/api/sip-security/door-knocks')
        .set(key)
        .send(Array.from({ length: 4 }, () => doorKnock(ip)))
        .expect(202);
      await evaluate();
      expect(await banOf(`${ip}/32`)).toBeUndefined();
      await t.http.post('/api/sip-security/door-knocks').set(key).send(doorKnock(ip)).expect(202);
      const second = await waitFor(() => banOf(`${ip}/32`));
      expect((Date.parse(second.expires_at!) - Date.parse(second.created_at)) / 1000).toBeCloseTo(7200, 0);
    });

    it('bans every source of a distributed attack in one look, a repeat offender among them for twice as long', async () => {
      const repeat = '203.0.113.99';
      const knocks = Array.from({ length: 5 }, () => doorKnock(repeat));
      await t.http.post('/api/sip-security/door-knocks').set(key).send(knocks).expect(202);
      const first = await waitFor(() => banOf(`${repeat}/32`));
      await t.http.delete(`/api/sip-security/bans/${first.id}`).set(bearer(admin)).expect(204);

      const sources = [repeat, ...Array.from({ length: 60 }, (_, i) => `203.0.113.${100 + i}`)];
      const events = sources.flatMap((ip) => Array.from({ length: 5 }, () => failedRegistration(ip)));
      await t.http.post('/api/sip-security/failed-registrations').set(key).send(events).expect(202);
      await evaluate();

      const response = await t.http.get('/api/sip-security/bans').set(bearer(admin)).expect(200);
      const bans = response.body as Array<{ cidr: string; created_at: string; expires_at: string }>;
      const seconds = (cidr: string) => {
        const ban = bans.find((b) => b.cidr === cidr)!;
        return (Date.parse(ban.expires_at) - Date.parse(ban.created_at)) / 1000;
      };
      expect(sources.filter((ip) => bans.some((b) => b.cidr === `${ip}/32`))).toEqual(sources);
      expect(seconds(`${repeat}/32`)).toBeCloseTo(7200, 0);
      expect(seconds('203.0.113.159/32')).toBeCloseTo(3600, 0);
    });
  });

  describe('manual bans and the allowlist', () => {
    it('bans a CIDR until lifted, and lifts it: check/ follows at once', async () => {
      const created = await t.http
        .post('/api/sip-security/bans')
        .set(bearer(admin))
        .send({ cidr: '192.0.2.130/25', reason: 'svcrack from this network' })
        .expect(201);
      expect(created.body).toEqual({
        id: expect.any(Number),
        cidr: '192.0.2.128/25',
        reason: 'svcrack from this network',
        source: 'manual',
        feed: null,
        created_at: expect.any(String),
        expires_at: null,
        state: 'active',
        lifted_at: null,
      });
      expect((await t.http.get('/api/sip-security/check/192.0.2.200').set(key).expect(200)).body).toMatchObject({
        banned: true,
        expires_at: null,
      });
      await t.http.delete(`/api/sip-security/bans/${created.body.id}`).set(bearer(admin)).expect(204);
      expect((await t.http.get('/api/sip-security/check/192.0.2.200').set(key).expect(200)).body.banned).toBe(false);
      await t.http.delete(`/api/sip-security/bans/${created.body.id}`).set(bearer(admin)).expect(404);
      const events = t.securityEvents().filter((e) => e.cidr === '192.0.2.128/25');
      expect(events.map((e) => e.event)).toEqual(['sip_ban_created', 'sip_ban_lifted']);
    });

    it('lets a timed ban expire', async () => {
      await t.http
        .post('/api/sip-security/bans')
        .set(bearer(admin))
        .send({ cidr: '192.0.2.40', reason: 'short', duration_seconds: 1 })
        .expect(201);
      expect((await t.http.get('/api/sip-security/check/192.0.2.40').set(key).expect(200)).body.banned).toBe(true);
      await new Promise((resolve) => setTimeout(resolve, 1300));
      expect((await t.http.get('/api/sip-security/check/192.0.2.40').set(key).expect(200)).body.banned).toBe(false);
      expect(await banOf('192.0.2.40/32')).toBeUndefined();
    });

    it.each([
      [{ cidr: '192.0.2.0/33', reason: 'x' }],
      [{ cidr: 'example.com', reason: 'x' }],
      [{ cidr: '192.0.2.0/24' }],
      [{ cidr: '192.0.2.0/24', reason: 'x', duration_seconds: 0 }],
      [{ cidr: '192.0.2.0/24', reason: 'x', duration_seconds: 'long' }],
      [{ cidr: '198.51.100.7', reason: 'allowlisted' }],
      [{ cidr: '0.0.0.0/0', reason: 'covers the allowlist' }],
      [{ cidr: '192.0.2.0/24', reason: 'x', source: 'auto' }],
    ])('rejects the ban %j with 422', async (body) => {
      await t.http.post('/api/sip-security/bans').set(bearer(admin)).send(body).expect(422);
    });

    it.each([
      '/api/sip-security/bans/abc',
      '/api/sip-security/bans/0',
      '/api/sip-security/bans/99999999',
      '/api/sip-security/allowlist/1e3',
    ])('answers DELETE %s with 404', async (path) => {
      await t.http.delete(path).set(bearer(admin)).expect(404);
    });

    it('manages the allowlist: SIP_ALLOWLIST entries are there, duplicates 409, removal 204/404', async () => {
      const list = await t.http.get('/api/sip-security/allowlist').set(bearer(admin)).expect(200);
      expect(list.body.map((e: { cidr: string }) => e.cidr)).toEqual(
        expect.arrayContaining(['127.0.0.0/8', '::1/128', '198.51.100.0/24']),
      );
      expect(list.body.find((e: { cidr: string }) => e.cidr === '198.51.100.0/24')).toMatchObject({ origin: 'config' });
      const added = await t.http
        .post('/api/sip-security/allowlist')
        .set(bearer(admin))
        .send({ cidr: '192.0.2.77' })
        .expect(201);
      expect(added.body).toMatchObject({ cidr: '192.0.2.77/32', description: '', origin: 'api' });
      await t.http.post('/api/sip-security/allowlist').set(bearer(admin)).send({ cidr: '192.0.2.77/32' }).expect(409);
      await t.http.post('/api/sip-security/allowlist').set(bearer(admin)).send({ cidr: '::/129' }).expect(422);
      expect((await t.http.get('/api/sip-security/check/192.0.2.77').set(key).expect(200)).body.allowlisted).toBe(true);
      await t.http.delete(`/api/sip-security/allowlist/${added.body.id}`).set(bearer(admin)).expect(204);
      await t.http.delete(`/api/sip-security/allowlist/${added.body.id}`).set(bearer(admin)).expect(404);
      expect((await t.http.get('/api/sip-security/check/192.0.2.77').set(key).expect(200)).body.allowlisted).toBe(
        false,
      );
    });

    it.each(['nope', '1.2.3', '1.2.3.4.5', 'fe80::1%25eth0'])('answers check/%s with 422', async (ip) => {
      await t.http.get(`/api/sip-security/check/${ip}`).set(key).expect(422);
    });
  });

  it('keeps bans across a restart, and another instance sees a new ban at once (NOTIFY)', async () => {
    await t.http
      .post('/api/sip-security/bans')
      .set(bearer(admin))
      .send({ cidr: '192.0.2.91', reason: 'before' })
      .expect(201);
    const other = await startTestApp({ databaseUrl: t.databaseUrl, env: { SIP_INGEST_API_KEY: API_KEY } });
    try {
      expect((await other.http.get('/api/sip-security/check/192.0.2.91').set(key).expect(200)).body.banned).toBe(true);
      await t.http
        .post('/api/sip-security/bans')
        .set(bearer(admin))
        .send({ cidr: '192.0.2.90', reason: 'shared' })
        .expect(201);
      await waitFor(
        async () =>
          (await other.http.get('/api/sip-security/check/192.0.2.90').set(key)).body.banned ? true : undefined,
        2000,
      );
    } finally {
      await other.db.end();
      await other.app.close();
    }
  });

  it('bans once with two instances on one database (one engine evaluates at a time)', async () => {
    const other = await startTestApp({ databaseUrl: t.databaseUrl, env: { SIP_INGEST_API_KEY: API_KEY } });
    try {
      await other.http
        .post('/api/sip-security/door-knocks')
        .set(key)
        .send(Array.from({ length: 3 }, () => doorKnock('203.0.113.90')))
        .expect(202);
      await t.http
        .post('/api/sip-security/door-knocks')
        .set(key)
        .send(Array.from({ length: 3 }, () => doorKnock('203.0.113.90')))
        .expect(202);
      await waitFor(() => banOf('203.0.113.90/32'));
      await Promise.all([evaluate(), evaluate(other)]);
      const { rows } = await t.db.query(`SELECT count(*)::int AS n FROM sip_bans WHERE cidr = '203.0.113.90/32'`);
      expect(rows[0].n).toBe(1);
    } finally {
      await other.db.end();
      await other.app.close();
    }
  });

  it('after a restart, bans for events the proxy wrote while the service was down', async () => {
    const database = await createTestDatabase();
    try {
      const first = await startTestApp({ databaseUrl: database.url });
      await first.db.end();
      await first.app.close();
      const proxy = new Client({ connectionString: database.url });
      await proxy.connect();
      await proxy.query(
        `INSERT INTO failed_registrations (username, domain, source_ip, source_port, response_code, response_reason)
         SELECT '1000', 'sip.example.com', '203.0.113.99', 5060, 403, 'Forbidden' FROM generate_series(1, 5)`,
      );
      await proxy.end();
      const second = await startTestApp({ databaseUrl: database.url });
      try {
        const adminToken = await second.login(ADMIN.email, ADMIN.password);
        const ban = await waitFor(async () => {
          const response = await second.http.get('/api/sip-security/bans').set(bearer(adminToken)).expect(200);
          return (response.body as Array<{ cidr: string; source: string }>).find((b) => b.cidr === '203.0.113.99/32');
        });
        expect(ban.source).toBe('auto');
      } finally {
        await second.db.end();
        await second.app.close();
      }
    } finally {
      await database.drop();
    }
  });
});
