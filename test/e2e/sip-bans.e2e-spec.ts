import { Client } from 'pg';
import { BAN_LISTENER_APPLICATION_NAME } from '../../src/sip-security/ban-index.service';
import { doorKnock } from '../support/sip-events';
import { ADMIN, startTestApp, TestApp } from '../support/test-app';
import { createTestDatabase } from '../support/test-database';
import { waitFor } from '../support/wait';

const API_KEY = 'proxy-key-0123456789abcdef';

/** Manual bans and allowlist entries as an attacker or a careless admin would send them (issue 6). */
describe('SIP bans and allowlist: edge cases (real HTTP, real PostgreSQL)', () => {
  jest.setTimeout(60_000);
  let t: TestApp;
  let admin: string;
  const key = { 'X-Api-Key': API_KEY };
  const bearer = (token: string) => ({ Authorization: `Bearer ${token}` });
  const check = async (ip: string) =>
    (await t.http.get(`/api/sip-security/check/${ip}`).set(key).expect(200)).body as {
      ip: string;
      banned: boolean;
      allowlisted: boolean;
      expires_at: string | null;
    };
  const ban = (body: Record<string, unknown>) => t.http.post('/api/sip-security/bans').set(bearer(admin)).send(body);
  const allowlist = (body: Record<string, unknown>) =>
    t.http.post('/api/sip-security/allowlist').set(bearer(admin)).send(body);

  beforeAll(async () => {
    t = await startTestApp({ env: { SIP_INGEST_API_KEY: API_KEY, SIP_ALLOWLIST: '127.0.0.0/8,::1/128' } });
    admin = await t.login(ADMIN.email, ADMIN.password);
  });
  afterAll(() => t.close());

  describe('duration_seconds (#8)', () => {
    it('takes null as "until lifted", like an omitted duration: never a ban that expired before it began', async () => {
      const created = await ban({ cidr: '192.0.2.10', reason: 'null duration', duration_seconds: null }).expect(201);
      expect(created.body.expires_at).toBeNull();
      expect(await check('192.0.2.10')).toMatchObject({ banned: true, expires_at: null });
    });

    it.each([1.5, -5, 10 * 365 * 24 * 3600 + 1, '3600', true])('refuses %j with 422', async (duration) => {
      const response = await ban({ cidr: '192.0.2.11', reason: 'x', duration_seconds: duration }).expect(422);
      expect(response.body.message.join(' ')).toContain('duration_seconds');
    });
  });

  describe('allowlist description (#9)', () => {
    it('takes null as an empty description, never a 500', async () => {
      const response = await allowlist({ cidr: '192.0.2.20', description: null }).expect(201);
      expect(response.body).toMatchObject({ cidr: '192.0.2.20/32', description: '' });
    });

    it('refuses a description that is not text', async () => {
      await allowlist({ cidr: '192.0.2.21', description: 42 }).expect(422);
    });
  });

  describe('prefix width (#10)', () => {
    it.each([
      ['128.0.0.0/1', 'minimum prefix /8 (SIP_MIN_PREFIX_IPV4)'],
      ['8000::/1', 'minimum prefix /32 (SIP_MIN_PREFIX_IPV6)'],
      ['0.0.0.0/0', 'minimum prefix /8 (SIP_MIN_PREFIX_IPV4)'],
    ])('refuses to ban %s without force, naming the minimum', async (cidr, minimum) => {
      const response = await ban({ cidr, reason: 'the world' }).expect(422);
      expect(response.body.message.join(' ')).toContain(minimum);
      expect(await check('8.8.8.8')).toMatchObject({ banned: false });
    });

    it('names a CIDR with host bits as written, beside the network it stands for', async () => {
      const response = await ban({ cidr: '10.0.0.0/4', reason: 'typo of /8' }).expect(422);
      expect(response.body.message.join(' ')).toContain('cidr 10.0.0.0/4 (the network 0.0.0.0/4) is wider');
    });

    it('refuses to allowlist 0.0.0.0/0 without force: it would hide every ban', async () => {
      const response = await allowlist({ cidr: '0.0.0.0/0' }).expect(422);
      expect(response.body.message.join(' ')).toContain('"force": true');
    });

    it('takes a wide ban with "force": true and logs it as forced', async () => {
      const created = await ban({ cidr: '8000::/1', reason: 'forced', force: true }).expect(201);
      expect(await check('8000::1')).toMatchObject({ banned: true });
      expect(t.securityEvents()).toContainEqual(
        expect.objectContaining({ event: 'sip_ban_created', cidr: '8000::/1', forced: true }),
      );
      await t.http.delete(`/api/sip-security/bans/${created.body.id}`).set(bearer(admin)).expect(204);
    });

    it('takes a wide allowlist entry with "force": true and logs it as forced', async () => {
      const added = await allowlist({ cidr: '2001:db8::/16', force: true }).expect(201);
      expect(t.securityEvents()).toContainEqual(
        expect.objectContaining({ event: 'admin_action', action: 'allowlist_add', cidr: '2001::/16', forced: true }),
      );
      await t.http.delete(`/api/sip-security/allowlist/${added.body.id}`).set(bearer(admin)).expect(204);
    });

    it('takes prefixes at the minimum without force', async () => {
      await ban({ cidr: '10.0.0.0/8', reason: 'at the minimum' }).expect(201);
      await ban({ cidr: '2001:db8::/32', reason: 'at the minimum' }).expect(201);
    });
  });

  describe('IPv4-mapped IPv6 (#16): ::ffff:a.b.c.d/N is a.b.c.d/(N-96), everywhere', () => {
    it('bans ::ffff:198.18.5.0/120 as 198.18.5.0/24, and check/ reads a mapped address the same way', async () => {
      const created = await ban({ cidr: '::ffff:198.18.5.0/120', reason: 'mapped' }).expect(201);
      expect(created.body.cidr).toBe('198.18.5.0/24');
      expect(await check('::ffff:198.18.5.9')).toMatchObject({ ip: '198.18.5.9', banned: true });
      expect(await check('198.18.5.9')).toMatchObject({ banned: true });
    });

    it('allowlists ::ffff:198.18.6.1/128 as 198.18.6.1/32', async () => {
      const added = await allowlist({ cidr: '::ffff:198.18.6.1/128' }).expect(201);
      expect(added.body.cidr).toBe('198.18.6.1/32');
      expect(await check('198.18.6.1')).toMatchObject({ allowlisted: true });
    });

    it('reads ::ffff:0:0/96 as 0.0.0.0/0 (so refused as too wide), and refuses a mapped prefix under /96', async () => {
      expect((await ban({ cidr: '::ffff:0:0/96', reason: 'x' }).expect(422)).body.message.join(' ')).toContain(
        'cidr ::ffff:0:0/96 (the network 0.0.0.0/0) is wider',
      );
      expect((await ban({ cidr: '::ffff:1.2.3.4/32', reason: 'x' }).expect(422)).body.message.join(' ')).toContain(
        'prefix length must be 96 to 128',
      );
    });

    it('has the proxy function read a mapped source as its IPv4 address', async () => {
      const { rows } = await t.db.query(
        `SELECT regshield_is_banned('::ffff:198.18.5.9') AS mapped, regshield_is_banned('198.18.5.9') AS plain,
                regshield_is_banned('::ffff:198.18.7.1') AS other`,
      );
      expect(rows[0]).toEqual({ mapped: true, plain: true, other: false });
    });

    it('stores an ingested mapped source as its IPv4 address', async () => {
      await t.http.post('/api/sip-security/door-knocks').set(key).send(doorKnock('::ffff:198.18.8.1')).expect(202);
      const { rows } = await t.db.query(
        `SELECT host(source_ip) AS ip FROM door_knock_attempts WHERE source_ip = '198.18.8.1'`,
      );
      expect(rows).toEqual([{ ip: '198.18.8.1' }]);
    });
  });

  it('keeps one active-ban predicate: a ban until lifted is active for the proxy and the service alike', async () => {
    await t.db.query(
      `INSERT INTO sip_bans (cidr, reason, source) VALUES ('198.18.9.0/24', 'by SQL, no expiry', 'manual')`,
    );
    const { rows } = await t.db.query(
      `SELECT regshield_is_banned('198.18.9.1') AS banned, (SELECT count(*)::int FROM sip_active_bans() WHERE cidr = '198.18.9.0/24') AS n`,
    );
    expect(rows[0]).toEqual({ banned: true, n: 1 });
    await waitFor(async () => ((await check('198.18.9.1')).banned ? true : undefined), 5000);
    const listed = await t.http.get('/api/sip-security/bans').set(bearer(admin)).expect(200);
    expect(listed.body).toContainEqual(expect.objectContaining({ cidr: '198.18.9.0/24', expires_at: null }));
  });

  it('keeps listening after the database refused the listener for a while: a ban made afterwards reaches check/', async () => {
    const server = new Client({ connectionString: process.env.TEST_SERVER_URL });
    await server.connect();
    const database = new URL(t.databaseUrl).pathname.slice(1);
    const listenerPids = async () =>
      (
        await server.query(`SELECT pid FROM pg_stat_activity WHERE datname = $1 AND application_name = $2`, [
          database,
          BAN_LISTENER_APPLICATION_NAME,
        ])
      ).rows.map((row: { pid: number }) => row.pid);
    try {
      const [before] = await listenerPids();
      expect(before).toEqual(expect.any(Number));
      // Refused reconnections first (an outage), then the connection back: a listener that gives up after
      // one failed attempt never hears of the ban below.
      await server.query(`ALTER DATABASE ${database} WITH ALLOW_CONNECTIONS false`);
      await server.query('SELECT pg_terminate_backend($1)', [before]);
      await new Promise((resolve) => setTimeout(resolve, 2500));
      await server.query(`ALTER DATABASE ${database} WITH ALLOW_CONNECTIONS true`);
      await waitFor(async () => ((await listenerPids()).some((pid) => pid !== before) ? true : undefined), 30_000);
      await t.db.query(
        `INSERT INTO sip_bans (cidr, reason, source) VALUES ('198.18.10.7/32', 'after the outage', 'manual')`,
      );
      await waitFor(async () => ((await check('198.18.10.7')).banned ? true : undefined), 5000);
    } finally {
      await server.query(`ALTER DATABASE ${database} WITH ALLOW_CONNECTIONS true`);
      await server.end();
    }
  });
});

describe('SIP_ALLOWLIST entries follow the variable (#4)', () => {
  jest.setTimeout(60_000);

  it('removes at start an entry the variable no longer lists, and keeps the entries added through the API', async () => {
    const database = await createTestDatabase();
    const cidrs = async (app: TestApp) => {
      const token = await app.login(ADMIN.email, ADMIN.password);
      const response = await app.http
        .get('/api/sip-security/allowlist')
        .set({ Authorization: `Bearer ${token}` })
        .expect(200);
      return (response.body as Array<{ cidr: string }>).map((entry) => entry.cidr).sort();
    };
    try {
      const first = await startTestApp({
        databaseUrl: database.url,
        env: { SIP_ALLOWLIST: '127.0.0.0/8,192.0.2.0/28' },
      });
      const token = await first.login(ADMIN.email, ADMIN.password);
      await first.http
        .post('/api/sip-security/allowlist')
        .set({ Authorization: `Bearer ${token}` })
        .send({ cidr: '198.51.100.0/24', description: 'trunk' })
        .expect(201);
      expect(await cidrs(first)).toEqual(['127.0.0.0/8', '192.0.2.0/28', '198.51.100.0/24']);
      await first.db.end();
      await first.app.close();

      const second = await startTestApp({
        databaseUrl: database.url,
        env: { SIP_ALLOWLIST: '127.0.0.0/8,198.51.100.0/24,::1' },
      });
      try {
        expect(await cidrs(second)).toEqual(['127.0.0.0/8', '198.51.100.0/24', '::1/128']);
        expect(
          (
            await second.http
              .get('/api/sip-security/check/192.0.2.1')
              .set({ Authorization: `Bearer ${await second.login(ADMIN.email, ADMIN.password)}` })
              .expect(200)
          ).body.allowlisted,
        ).toBe(false);
      } finally {
        await second.db.end();
        await second.app.close();
      }

      // The API's entry stays the API's: listing it in the variable and then dropping it does not remove it.
      const third = await startTestApp({ databaseUrl: database.url, env: { SIP_ALLOWLIST: '127.0.0.0/8' } });
      try {
        expect(await cidrs(third)).toEqual(['127.0.0.0/8', '198.51.100.0/24']);
      } finally {
        await third.db.end();
        await third.app.close();
      }
    } finally {
      await database.drop();
    }
  });
});
