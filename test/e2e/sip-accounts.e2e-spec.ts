import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { EventRetentionService } from '../../src/sip-security/event-retention.service';
import { writeCountryMmdb } from '../support/country-mmdb';
import { ADMIN, newUser, startTestApp, TestApp } from '../support/test-app';
import { eventually } from '../support/wait';

const API_KEY = 'proxy-key-0123456789abcdef';
const DOMAIN = 'sip.example.com';

interface Alert {
  id: number;
  kind: string;
  username: string;
  domain: string;
  source_ip: string;
  country: string | null;
  evidence: Record<string, unknown>;
  created_at: string;
  resolved_at: string | null;
}

/**
 * SIP accounts through the API alone (no proxy): successes ingested, the compromise and new-network rules
 * applied by the account watch, alerts resolved and blocks set and lifted by admins, with their audit rows.
 */
describe('SIP accounts: registrations, account alerts and blocks (real HTTP, real PostgreSQL)', () => {
  jest.setTimeout(60_000);
  let t: TestApp;
  let admin: string;
  const key = { 'X-Api-Key': API_KEY };
  const bearer = (token: string) => ({ Authorization: `Bearer ${token}` });
  const registered = (body: unknown) =>
    t.http
      .post('/api/sip-security/registrations')
      .set(key)
      .send(body as object);
  const failed = (body: unknown) =>
    t.http
      .post('/api/sip-security/failed-registrations')
      .set(key)
      .send(body as object)
      .expect(202);
  const alerts = async (query: string): Promise<Alert[]> =>
    (await t.http.get(`/api/sip-security/account-alerts?${query}`).set(bearer(admin)).expect(200)).body as Alert[];
  const auditRows = async (event: string) =>
    (await t.db.query('SELECT actor_id, details FROM audit_events WHERE event = $1 ORDER BY id', [event]))
      .rows as Array<{
      actor_id: string | null;
      details: Record<string, unknown>;
    }>;

  beforeAll(async () => {
    t = await startTestApp({ env: { SIP_INGEST_API_KEY: API_KEY, SIP_ALLOWLIST: '127.0.0.0/8,::1/128' } });
    admin = await t.login(ADMIN.email, ADMIN.password);
  });
  afterAll(() => t.close());

  describe('POST /api/sip-security/registrations', () => {
    it('takes one success or an array with the proxy key: 202, stored with the domain in lower case', async () => {
      await registered({
        username: '100',
        domain: 'SIP.Example.com',
        source_ip: '198.51.100.1',
        source_port: 5060,
      }).expect(202, { accepted: 1, ignored: 0 });
      await registered([
        { username: '101', domain: DOMAIN, source_ip: '198.51.100.2', user_agent: 'Yealink' },
        { username: '102', domain: DOMAIN, source_ip: '::ffff:198.51.100.3' },
      ]).expect(202, { accepted: 2, ignored: 0 });
      const { rows } = await t.db.query(
        `SELECT username, domain, host(source_ip) AS ip FROM registration_successes WHERE username IN ('100', '102') ORDER BY username`,
      );
      expect(rows).toEqual([
        { username: '100', domain: DOMAIN, ip: '198.51.100.1' },
        { username: '102', domain: DOMAIN, ip: '198.51.100.3' },
      ]);
    });

    it.each([
      [{ domain: DOMAIN, source_ip: '198.51.100.1' }, 'username is required'],
      [{ username: '', domain: DOMAIN, source_ip: '198.51.100.1' }, 'username'],
      [{ username: '1', domain: DOMAIN, source_ip: 'not-an-ip' }, 'source_ip must be an IPv4 or IPv6 address'],
      [{ username: '1', domain: DOMAIN, source_ip: '198.51.100.1', source_port: 70000 }, 'source_port'],
      [
        { username: '1', domain: DOMAIN, source_ip: '198.51.100.1', password: 'x' },
        'property password should not exist',
      ],
      [[], 'the batch is empty'],
    ])('refuses %j with 422 and stores nothing', async (body, message) => {
      const before = (await t.db.query('SELECT count(*)::int AS n FROM registration_successes')).rows[0].n;
      const response = await registered(body).expect(422);
      expect(JSON.stringify(response.body.message)).toContain(message);
      expect((await t.db.query('SELECT count(*)::int AS n FROM registration_successes')).rows[0].n).toBe(before);
    });

    it('refuses a caller without the key (401) and a user who is not an admin (403)', async () => {
      const body = { username: '1', domain: DOMAIN, source_ip: '198.51.100.1' };
      await t.http.post('/api/sip-security/registrations').send(body).expect(401);
      const user = newUser();
      await t.http.post('/api/auth/register').send(user).expect(201);
      await t.db.query(`UPDATE users SET status = 'active' WHERE email = $1`, [user.email]);
      const token = await t.login(user.email, user.password);
      await t.http.post('/api/sip-security/registrations').set(bearer(token)).send(body).expect(403);
    });
  });

  describe('credential compromise', () => {
    it('a success after failures of the same account from that source: alert, ban naming the account, block, audit', async () => {
      const attacker = '203.0.113.50';
      await failed(
        [1, 2, 3].map(() => ({ username: '2000', domain: DOMAIN, source_ip: attacker, response_code: 403 })),
      );
      await registered({
        username: '2000',
        domain: DOMAIN,
        source_ip: attacker,
        user_agent: 'friendly-scanner',
      }).expect(202);

      const [alert] = await eventually(async () => {
        const found = await alerts('kind=credential_compromise&username=2000');
        return found.length > 0 ? found : undefined;
      });
      expect(alert).toMatchObject({
        kind: 'credential_compromise',
        domain: DOMAIN,
        source_ip: attacker,
        resolved_at: null,
      });
      expect(alert.evidence).toMatchObject({ rule: 'failed_then_succeeded', failed_for_account: 3 });

      const bans = (await t.http.get('/api/sip-security/bans').set(bearer(admin)).expect(200)).body as Array<{
        cidr: string;
        reason: string;
      }>;
      expect(bans.find((ban) => ban.cidr === `${attacker}/32`)?.reason).toContain(`2000@${DOMAIN}`);
      const blocks = (await t.http.get('/api/sip-security/account-blocks').set(bearer(admin)).expect(200)).body;
      expect(blocks).toContainEqual(
        expect.objectContaining({
          username: '2000',
          domain: DOMAIN,
          source_ip: null,
          source: 'auto',
          alert_id: alert.id,
        }),
      );
      await eventually(async () => (await auditRows('sip_account_compromised')).length > 0);
      expect(t.securityEvents()).toContainEqual(
        expect.objectContaining({ event: 'sip_account_compromised', username: '2000', ip: attacker }),
      );
    });

    it('a source that tried more than SIP_BAN_MAX_RETRY usernames is a compromise whatever account it gets', async () => {
      const sweeper = '203.0.113.51';
      await failed(
        ['a', 'b', 'c', 'd', 'e', 'f'].map((username) => ({
          username,
          domain: DOMAIN,
          source_ip: sweeper,
          response_code: 403,
        })),
      );
      await registered({ username: '2001', domain: DOMAIN, source_ip: sweeper }).expect(202);
      const [alert] = await eventually(async () => {
        const found = await alerts('username=2001');
        return found.length > 0 ? found : undefined;
      });
      expect(alert.evidence).toMatchObject({ rule: 'username_sweep', usernames_tried: 6 });
    });

    it('a source banned within SIP_BAN_FIND_TIME (here by an admin, lifted since) is a compromise when it registers', async () => {
      const source = '203.0.113.83';
      const ban = await t.http
        .post('/api/sip-security/bans')
        .set(bearer(admin))
        .send({ cidr: source, reason: 'seen guessing elsewhere' })
        .expect(201);
      await t.http.delete(`/api/sip-security/bans/${ban.body.id}`).set(bearer(admin)).expect(204);
      await registered({ username: '2003', domain: DOMAIN, source_ip: source }).expect(202);
      const [alert] = await eventually(async () => {
        const found = await alerts('username=2003');
        return found.length > 0 ? found : undefined;
      });
      expect(alert.evidence).toMatchObject({ rule: 'banned_source', ban_id: String(ban.body.id) });
    });

    it('a phone that mistyped its password once, from where it registered before, raises nothing', async () => {
      const phone = '198.51.100.60';
      await registered({ username: '2002', domain: DOMAIN, source_ip: phone }).expect(202);
      await failed({ username: '2002', domain: DOMAIN, source_ip: phone, response_code: 403 });
      await registered({ username: '2002', domain: DOMAIN, source_ip: phone, source_port: 5062 }).expect(202);
      await new Promise((resolve) => setTimeout(resolve, 1500));
      expect(await alerts('username=2002')).toEqual([]);
    });
  });

  describe('new network', () => {
    it('alerts when an account with a history registers from another /24, never for its first or a known network', async () => {
      await registered({ username: '3000', domain: DOMAIN, source_ip: '198.51.100.70' }).expect(202);
      await registered({ username: '3000', domain: DOMAIN, source_ip: '198.51.100.71' }).expect(202);
      await registered({ username: '3000', domain: DOMAIN, source_ip: '192.0.2.70' }).expect(202);
      const found = await eventually(async () => {
        const list = await alerts('username=3000');
        return list.length > 0 ? list : undefined;
      });
      await new Promise((resolve) => setTimeout(resolve, 800));
      expect(await alerts('username=3000')).toEqual([
        expect.objectContaining({ kind: 'new_network', source_ip: '192.0.2.70', country: null }),
      ]);
      expect(found[0].evidence).toMatchObject({ earlier_registrations: 2 });
      const blocks = (await t.http.get('/api/sip-security/account-blocks').set(bearer(admin)).expect(200)).body;
      expect(blocks.filter((block: { username: string }) => block.username === '3000')).toEqual([]);
    });
  });

  describe('trusted sources', () => {
    const bans = async () =>
      ((await t.http.get('/api/sip-security/bans').set(bearer(admin)).expect(200)).body as Array<{ cidr: string }>).map(
        (ban) => ban.cidr,
      );
    const blocksFrom = async (ip: string) =>
      (
        (await t.http.get('/api/sip-security/account-blocks').set(bearer(admin)).expect(200)).body as Array<{
          username: string;
          source_ip: string | null;
          expires_at: string | null;
        }>
      ).filter((block) => block.source_ip === ip);

    it('a source that registered an account: its failing username is blocked from it alone, the source banned only past SIP_TRUSTED_MAX_RETRY', async () => {
      const office = '198.51.100.80';
      await registered({ username: '6000', domain: DOMAIN, source_ip: office }).expect(202);
      await failed(
        [1, 2, 3, 4, 5, 6].map(() => ({ username: '6001', domain: DOMAIN, source_ip: office, response_code: 403 })),
      );
      const [block] = await eventually(async () => {
        const found = await blocksFrom(office);
        return found.length > 0 ? found : undefined;
      });
      expect(block).toMatchObject({ username: '6001', source_ip: office });
      // As long as a first ban (SIP_BAN_TIME).
      expect(Date.parse(block.expires_at!) - Date.now()).toBeGreaterThan(3_500_000);
      await new Promise((resolve) => setTimeout(resolve, 600));
      expect(await bans()).not.toContain(`${office}/32`);
      expect(await alerts('username=6000')).toEqual([]);

      // A scanner with no success is banned at the usual limit meanwhile.
      await failed(
        [1, 2, 3, 4, 5].map(() => ({
          username: '6001',
          domain: DOMAIN,
          source_ip: '203.0.113.81',
          response_code: 403,
        })),
      );
      await eventually(async () => (await bans()).includes('203.0.113.81/32'));

      // Past SIP_TRUSTED_MAX_RETRY (50 counted events), the trusted source is banned after all.
      await failed(
        Array.from({ length: 44 }, (_, i) => ({
          username: `office-${i}`,
          domain: DOMAIN,
          source_ip: office,
          response_code: 403,
        })),
      );
      await eventually(async () => (await bans()).includes(`${office}/32`));
    });

    it('a source with a compromise alert is never trusted', async () => {
      const attacker = '203.0.113.82';
      await failed({ username: '6100', domain: DOMAIN, source_ip: attacker, response_code: 403 });
      await registered({ username: '6100', domain: DOMAIN, source_ip: attacker }).expect(202);
      await eventually(async () => (await bans()).includes(`${attacker}/32`));
      const [ban] = (await t.db.query(`SELECT id FROM sip_bans WHERE cidr = $1`, [`${attacker}/32`])).rows;
      await t.http.delete(`/api/sip-security/bans/${ban.id}`).set(bearer(admin)).expect(204);

      await failed(
        [1, 2, 3, 4, 5].map(() => ({ username: '6101', domain: DOMAIN, source_ip: attacker, response_code: 403 })),
      );
      await eventually(async () => (await bans()).includes(`${attacker}/32`));
      expect(await blocksFrom(attacker)).toEqual([]);
    });
  });

  describe('GET /api/sip-security/sources/{ip}: trusted, country, registrations', () => {
    const source = async (ip: string) =>
      (await t.http.get(`/api/sip-security/sources/${ip}`).set(bearer(admin)).expect(200)).body as {
        trusted: boolean;
        country: string | null;
        registrations: Array<{ username: string; domain: string; registrations: number; last_registered_at: string }>;
      };

    it('a source that only registered is known, trusted, with its accounts; no country without GEOIP_DB', async () => {
      const phone = '198.51.100.90';
      await registered({ username: '7800', domain: DOMAIN, source_ip: phone }).expect(202);
      await registered({ username: '7801', domain: DOMAIN, source_ip: `::ffff:${phone}` }).expect(202);
      const found = await source(phone);
      expect(found).toMatchObject({ trusted: true, country: null, failed_registrations: 0 });
      expect(found.registrations.map(({ username }) => username).sort()).toEqual(['7800', '7801']);
      expect(found.registrations[0]).toMatchObject({ domain: DOMAIN, registrations: 1 });
      expect(Date.parse(found.registrations[0].last_registered_at)).toBeGreaterThan(Date.now() - 60_000);
    });

    it('a source with a compromise alert is not trusted, though it registered', async () => {
      const attacker = '203.0.113.91';
      await failed({ username: '7900', domain: DOMAIN, source_ip: attacker, response_code: 403 });
      await registered({ username: '7900', domain: DOMAIN, source_ip: attacker }).expect(202);
      await eventually(async () => (await alerts('username=7900')).length > 0);
      expect(await source(attacker)).toMatchObject({
        trusted: false,
        registrations: [expect.objectContaining({ username: '7900' })],
      });
    });

    it('an IPv6 address is trusted by its SIP_BAN_IPV6_PREFIX, as the ban engine counts it', async () => {
      await registered({ username: '7960', domain: DOMAIN, source_ip: '2001:db8:7960::10' }).expect(202);
      await failed({ username: '7961', domain: DOMAIN, source_ip: '2001:db8:7960::20', response_code: 403 });
      expect(await source('2001:db8:7960::20')).toMatchObject({ trusted: true, registrations: [] });
      await failed({ username: '7961', domain: DOMAIN, source_ip: '2001:db8:7961::20', response_code: 403 });
      expect(await source('2001:db8:7961::20')).toMatchObject({ trusted: false });
    });

    it('a source that only failed is not trusted and registered nothing', async () => {
      await failed({ username: '7950', domain: DOMAIN, source_ip: '203.0.113.92', response_code: 403 });
      expect(await source('203.0.113.92')).toMatchObject({ trusted: false, country: null, registrations: [] });
    });
  });

  describe('retention', () => {
    it('deletes successes older than SIP_EVENT_RETENTION_DAYS, never those the account rules still read', async () => {
      await t.db.query(
        `INSERT INTO registration_successes (username, domain, source_ip, created_at) VALUES
           ('7000', $1, '198.51.100.90', now() - interval '91 days'),
           ('7000', $1, '198.51.100.90', now() - interval '29 days')`,
        [DOMAIN],
      );
      // registration_successes is partitioned by day; a row this old is in its DEFAULT partition, deleted in a batch
      // (unless the service's own first pass, within a minute of start, came first).
      const result = await t.app.get(EventRetentionService).purgeExpiredEvents();
      expect(result?.registration_successes.deletedRows).toBeLessThanOrEqual(1);
      const { rows } = await t.db.query(
        `SELECT count(*)::int AS n FROM registration_successes WHERE username = '7000'`,
      );
      expect(rows[0].n).toBe(1);
    });
  });

  describe('GET /api/sip-security/account-alerts', () => {
    it('filters by kind, username, domain and time, pages with X-Total-Count', async () => {
      const response = await t.http
        .get(`/api/sip-security/account-alerts?kind=credential_compromise&domain=${DOMAIN}&limit=1`)
        .set(bearer(admin))
        .expect(200);
      expect(response.body).toHaveLength(1);
      expect(Number(response.headers['x-total-count'])).toBeGreaterThanOrEqual(2);
      expect(await alerts('since=2999-01-01T00:00:00Z')).toEqual([]);
    });

    it.each(['kind=other', 'limit=0', 'skip=-1', 'since=yesterday', 'unknown=1'])(
      'refuses %s with 422',
      async (query) => {
        await t.http.get(`/api/sip-security/account-alerts?${query}`).set(bearer(admin)).expect(422);
      },
    );
  });

  describe('POST /api/sip-security/account-alerts/{id}/resolve', () => {
    it('marks the alert handled once, audited; 404 for an unknown or malformed id', async () => {
      const [alert] = await alerts('username=2000');
      const first = await t.http
        .post(`/api/sip-security/account-alerts/${alert.id}/resolve`)
        .set(bearer(admin))
        .expect(200);
      expect(first.body.resolved_at).not.toBeNull();
      const again = await t.http
        .post(`/api/sip-security/account-alerts/${alert.id}/resolve`)
        .set(bearer(admin))
        .expect(200);
      expect(again.body.resolved_at).toBe(first.body.resolved_at);
      expect(await auditRows('sip_account_alert_resolved')).toContainEqual(
        expect.objectContaining({ details: expect.objectContaining({ alert_id: String(alert.id) }) }),
      );
      await t.http.post('/api/sip-security/account-alerts/999999/resolve').set(bearer(admin)).expect(404);
      await t.http.post('/api/sip-security/account-alerts/abc/resolve').set(bearer(admin)).expect(404);
    });

    it('lists resolved and unresolved alerts apart with state; refuses another state with 422', async () => {
      expect((await alerts('username=2000&state=resolved')).map(({ username }) => username)).toEqual(['2000']);
      expect(await alerts('username=2000&state=unresolved')).toEqual([]);
      expect((await alerts('state=unresolved')).every(({ resolved_at }) => resolved_at === null)).toBe(true);
      await t.http.get('/api/sip-security/account-alerts?state=open').set(bearer(admin)).expect(422);
    });
  });

  describe('account blocks', () => {
    const block = (body: Record<string, unknown>) =>
      t.http.post('/api/sip-security/account-blocks').set(bearer(admin)).send(body);

    it('an admin blocks an account, or one username from one source, and unblocks it: audited', async () => {
      const whole = await block({
        username: '4000',
        domain: 'SIP.example.com',
        reason: 'leaked',
        duration_seconds: 600,
      }).expect(201);
      expect(whole.body).toMatchObject({ username: '4000', domain: DOMAIN, source_ip: null, source: 'manual' });
      expect(Date.parse(whole.body.expires_at) - Date.now()).toBeGreaterThan(590_000);
      const one = await block({
        username: '4000',
        domain: DOMAIN,
        reason: 'phone',
        source_ip: '::ffff:198.51.100.9',
      }).expect(201);
      expect(one.body).toMatchObject({ source_ip: '198.51.100.9', expires_at: null });

      const listed = (await t.http.get('/api/sip-security/account-blocks').set(bearer(admin)).expect(200)).body;
      expect(listed.map((item: { id: number }) => item.id)).toEqual(
        expect.arrayContaining([whole.body.id, one.body.id]),
      );

      await t.http.delete(`/api/sip-security/account-blocks/${whole.body.id}`).set(bearer(admin)).expect(204);
      await t.http.delete(`/api/sip-security/account-blocks/${whole.body.id}`).set(bearer(admin)).expect(404);
      await t.http.delete('/api/sip-security/account-blocks/nope').set(bearer(admin)).expect(404);
      const after = (await t.http.get('/api/sip-security/account-blocks').set(bearer(admin)).expect(200)).body;
      expect(after.map((item: { id: number }) => item.id)).not.toContain(whole.body.id);

      const created = (await auditRows('sip_account_blocked')).find((row) => row.details.username === '4000')!;
      expect(created.actor_id).not.toBeNull();
      expect(created.details).toMatchObject({ username: '4000', domain: DOMAIN, reason: 'leaked' });
      expect(await auditRows('sip_account_unblocked')).toHaveLength(1);
    });

    it.each([
      [{ domain: DOMAIN, reason: 'x' }, 'username'],
      [{ username: 'a|b', domain: DOMAIN, reason: 'x' }, 'username'],
      [{ username: '1', domain: 'not a domain', reason: 'x' }, 'domain'],
      [{ username: '1', domain: DOMAIN }, 'reason'],
      [{ username: '1', domain: DOMAIN, reason: 'x', duration_seconds: 0 }, 'duration_seconds'],
      [{ username: '1', domain: DOMAIN, reason: 'x', source_ip: '10.0.0.0/8' }, 'source_ip'],
      [{ username: '1', domain: DOMAIN, reason: 'x', extra: true }, 'extra'],
    ])('refuses %j with 422 and blocks nothing', async (body, field) => {
      const before = (await t.db.query('SELECT count(*)::int AS n FROM sip_account_blocks')).rows[0].n;
      const response = await block(body).expect(422);
      expect(JSON.stringify(response.body.message)).toContain(field);
      expect((await t.db.query('SELECT count(*)::int AS n FROM sip_account_blocks')).rows[0].n).toBe(before);
    });

    it('is for superusers only', async () => {
      await t.http.get('/api/sip-security/account-blocks').expect(401);
      await t.http.get('/api/sip-security/account-alerts').set(key).expect(401);
    });
  });
});

describe('SIP accounts with a country database (GEOIP_DB)', () => {
  jest.setTimeout(60_000);
  let t: TestApp;
  let admin: string;
  let dir: string;
  const registered = (body: object) =>
    t.http.post('/api/sip-security/registrations').set({ 'X-Api-Key': API_KEY }).send(body).expect(202);

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'regshield-geoip-'));
    const file = join(dir, 'countries.mmdb');
    writeCountryMmdb(file, [
      ['198.51.100.0/24', 'FR'],
      ['203.0.113.0/25', 'FR'],
      ['192.0.2.0/24', 'BR'],
    ]);
    t = await startTestApp({
      env: { SIP_INGEST_API_KEY: API_KEY, GEOIP_DB: file, SIP_NEW_NETWORK_ACTION: 'block' },
    });
    admin = await t.login(ADMIN.email, ADMIN.password);
  });
  afterAll(async () => {
    await t.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const alertsOf = async (username: string): Promise<Alert[]> =>
    (
      await t.http
        .get(`/api/sip-security/account-alerts?username=${username}`)
        .set({ Authorization: `Bearer ${admin}` })
        .expect(200)
    ).body as Alert[];

  it("tells a source's country on its page, null where the database does not place it", async () => {
    await registered({ username: '5100', domain: DOMAIN, source_ip: '192.0.2.60' });
    await registered({ username: '5101', domain: DOMAIN, source_ip: '203.0.113.200' });
    const page = async (ip: string) =>
      (
        await t.http
          .get(`/api/sip-security/sources/${ip}`)
          .set({ Authorization: `Bearer ${admin}` })
          .expect(200)
      ).body as { country: string | null };
    expect((await page('192.0.2.60')).country).toBe('BR');
    expect((await page('203.0.113.200')).country).toBeNull();
  });

  it('a new country is new_country with its code, a new network in a known country new_network, each blocking with SIP_NEW_NETWORK_ACTION=block', async () => {
    await registered({ username: '5000', domain: DOMAIN, source_ip: '198.51.100.5' });
    await registered({ username: '5000', domain: DOMAIN, source_ip: '203.0.113.5' });
    await eventually(async () => (await alertsOf('5000')).length === 1);
    await registered({ username: '5000', domain: DOMAIN, source_ip: '192.0.2.5' });
    const alerts = await eventually(async () => {
      const found = await alertsOf('5000');
      return found.length === 2 ? found : undefined;
    });
    expect(alerts).toEqual([
      expect.objectContaining({ kind: 'new_country', source_ip: '192.0.2.5', country: 'BR' }),
      expect.objectContaining({ kind: 'new_network', source_ip: '203.0.113.5', country: 'FR' }),
    ]);
    expect(alerts[0].evidence).toMatchObject({ earlier_countries: ['FR'] });
    const blocks = (
      await t.http
        .get('/api/sip-security/account-blocks')
        .set({ Authorization: `Bearer ${admin}` })
        .expect(200)
    ).body as Array<{ username: string; source: string; reason: string }>;
    expect(blocks.filter((block) => block.username === '5000')).toHaveLength(2);
    expect(blocks[0]).toMatchObject({ source: 'auto', reason: expect.stringContaining('(BR)') });
  });
});
