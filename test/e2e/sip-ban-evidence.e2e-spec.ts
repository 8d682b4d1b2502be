import { BanEngineService } from '../../src/sip-security/ban-engine.service';
import { doorKnock, failedRegistration } from '../support/sip-events';
import { ADMIN, closeAll, startTestApp, TestApp } from '../support/test-app';
import { waitFor } from '../support/wait';

const API_KEY = 'proxy-key-0123456789abcdef';
const ENV = {
  SIP_INGEST_API_KEY: API_KEY,
  SIP_ALLOWLIST: '127.0.0.0/8,::1/128,198.51.100.0/24',
  SIP_DECOY_USERNAMES: 'admin,Test,root',
};

interface Ban {
  id: number;
  cidr: string;
  reason: string;
  source: string;
  state: string;
  lifted_at: string | null;
}

/** Why a ban was made (its evidence), bans by state, and one source's story, over real HTTP and PostgreSQL. */
describe('SIP ban evidence, decoys, bans by state and sources (real HTTP, real PostgreSQL)', () => {
  jest.setTimeout(60_000);
  let t: TestApp;
  let admin: string;
  const key = { 'X-Api-Key': API_KEY };
  const bearer = () => ({ Authorization: `Bearer ${admin}` });
  const evaluate = () => t.app.get(BanEngineService).evaluate();
  const ingestFailed = (events: object[]) =>
    t.http.post('/api/sip-security/failed-registrations').set(key).send(events).expect(202);
  const ingestKnocks = (events: object[]) =>
    t.http.post('/api/sip-security/door-knocks').set(key).send(events).expect(202);
  const bansOf = async (state: string) =>
    (await t.http.get(`/api/sip-security/bans?state=${state}&limit=1000`).set(bearer()).expect(200)).body as Ban[];
  const activeBanOf = async (cidr: string) =>
    (await t.http.get('/api/sip-security/bans').set(bearer()).expect(200)).body.find(
      (ban: Ban) => ban.cidr === cidr,
    ) as Ban | undefined;
  const detail = async (id: number) =>
    (await t.http.get(`/api/sip-security/bans/${id}`).set(bearer()).expect(200)).body as Ban & {
      created_by: string | null;
      lifted_by: string | null;
      evidence: Record<string, unknown> | null;
    };

  beforeAll(async () => {
    t = await startTestApp({ env: ENV });
    admin = await t.login(ADMIN.email, ADMIN.password);
  });
  afterAll(() => t.close());

  describe('evidence', () => {
    it('stores what a run of 403s showed, and says so in the reason', async () => {
      await ingestFailed([
        ...Array.from({ length: 5 }, () => failedRegistration('203.0.113.10', { user_agent: 'sipcli/v1.8' })),
        failedRegistration('203.0.113.10', { response_code: 401 }),
      ]);
      await evaluate();
      const ban = await waitFor(() => activeBanOf('203.0.113.10/32'));
      expect(ban.reason).toBe('5 failed registrations for 1 username within 600 s');
      const found = await detail(ban.id);
      expect(found).toMatchObject({ source: 'auto', state: 'active', created_by: null, lifted_by: null });
      expect(found.evidence).toEqual({
        rule: 'max_retry',
        decoy_username: null,
        max_retry: 5,
        find_time_seconds: 600,
        counts: { failed_registration: 5 },
        failed_registrations: 5,
        door_knocks: 0,
        first_event_at: expect.any(String),
        last_event_at: expect.any(String),
        distinct_usernames: 1,
        usernames: ['1000'],
        user_agents: ['sipcli/v1.8'],
        truncated: false,
      });
      const evidence = found.evidence as { first_event_at: string; last_event_at: string };
      expect(Date.parse(evidence.first_event_at)).toBeLessThanOrEqual(Date.parse(evidence.last_event_at));
    });

    it('tells a username sweep from a password guess', async () => {
      await ingestKnocks(
        ['100', '101', '102', '103', '104'].map((user) =>
          doorKnock('203.0.113.11', { reason: 'username_sweep', to_uri: `sip:${user}@sip.example.com` }),
        ),
      );
      await evaluate();
      const ban = await waitFor(() => activeBanOf('203.0.113.11/32'));
      expect(ban.reason).toBe('5 door knocks (username_sweep ×5) for 5 usernames within 600 s');
      expect((await detail(ban.id)).evidence).toMatchObject({
        rule: 'max_retry',
        counts: { username_sweep: 5 },
        usernames: ['100', '101', '102', '103', '104'],
        user_agents: ['friendly-scanner'],
      });
    });

    it('a manual ban has no evidence: its reason and created_by say why and who', async () => {
      const created = await t.http
        .post('/api/sip-security/bans')
        .set(bearer())
        .send({ cidr: '192.0.2.0/28', reason: 'abuse report #42' })
        .expect(201);
      const found = await detail(created.body.id);
      expect(found).toMatchObject({ source: 'manual', reason: 'abuse report #42', evidence: null });
      expect(found.created_by).toEqual(expect.stringMatching(/^[0-9a-f-]{36}$/));
    });

    it.each(['abc', '0', '99999999'])('answers GET bans/%s with 404', async (id) => {
      await t.http.get(`/api/sip-security/bans/${id}`).set(bearer()).expect(404);
    });

    it('keeps bans and their evidence to superusers', async () => {
      await t.http.get('/api/sip-security/bans/1').set(key).expect(401);
      await t.http.get('/api/sip-security/bans?state=all').set(key).expect(401);
    });
  });

  describe('decoys (SIP_DECOY_USERNAMES)', () => {
    it('bans on one failed registration for a decoy, whatever its case', async () => {
      await ingestFailed([failedRegistration('203.0.113.20', { username: 'ADMIN' })]);
      await evaluate();
      const ban = await waitFor(() => activeBanOf('203.0.113.20/32'));
      expect(ban.reason).toBe("decoy username 'admin' touched");
      expect((await detail(ban.id)).evidence).toMatchObject({
        rule: 'decoy',
        decoy_username: 'admin',
        failed_registrations: 1,
        usernames: ['ADMIN'],
      });
    });

    it('bans on one door knock naming a decoy in its To URI (a proxy that does not know the list)', async () => {
      await ingestKnocks([doorKnock('203.0.113.21', { to_uri: 'sip:test@192.0.2.1', from_uri: null })]);
      await evaluate();
      expect((await waitFor(() => activeBanOf('203.0.113.21/32'))).reason).toBe("decoy username 'test' touched");
    });

    it('bans on one `decoy` door knock the proxy wrote itself with plain SQL', async () => {
      await t.db.query(
        `INSERT INTO door_knock_attempts (source_ip, source_port, method, request_uri, from_uri, to_uri, domain, reason, user_agent)
         VALUES ('203.0.113.22', 5060, 'INVITE', 'sip:root@sip.example.com', 'sip:x@sip.example.com',
                 'sip:root@sip.example.com', 'sip.example.com', 'decoy', 'VaxSIPUserAgent/3.1')`,
      );
      await evaluate();
      const ban = await waitFor(() => activeBanOf('203.0.113.22/32'));
      expect(ban.reason).toBe("decoy username 'root' touched");
      expect((await detail(ban.id)).evidence).toMatchObject({
        counts: { decoy: 1 },
        user_agents: ['VaxSIPUserAgent/3.1'],
      });
    });

    it('a lifted decoy ban stays lifted: an instance reading the touch later (restarted, or lagging) does not ban again', async () => {
      await ingestFailed([failedRegistration('203.0.113.24', { username: 'admin' })]);
      await evaluate();
      const ban = await waitFor(() => activeBanOf('203.0.113.24/32'));
      await t.http.delete(`/api/sip-security/bans/${ban.id}`).set(bearer()).expect(204);
      const other = await startTestApp({ databaseUrl: t.databaseUrl, env: ENV });
      try {
        expect(await other.app.get(BanEngineService).evaluate()).toEqual([]);
      } finally {
        await closeAll(other);
      }
      expect(await activeBanOf('203.0.113.24/32')).toBeUndefined();
    });

    it('never bans an allowlisted source for a decoy', async () => {
      await ingestFailed([failedRegistration('198.51.100.7', { username: 'admin' })]);
      await ingestKnocks([doorKnock('198.51.100.7', { reason: 'decoy', to_uri: 'sip:admin@192.0.2.1' })]);
      expect(await evaluate()).toEqual([]);
      expect(await activeBanOf('198.51.100.7/32')).toBeUndefined();
    });

    it('one touch of a name not on the list is one counted event, not a ban', async () => {
      await ingestFailed([failedRegistration('203.0.113.23', { username: 'administrator' })]);
      expect(await evaluate()).toEqual([]);
    });
  });

  describe('bans by state', () => {
    it('lists active bans by default, and lifted, expired or all on request, with X-Total-Count', async () => {
      const lifted = await t.http
        .post('/api/sip-security/bans')
        .set(bearer())
        .send({ cidr: '192.0.2.64/28', reason: 'to be lifted' })
        .expect(201);
      await t.http.delete(`/api/sip-security/bans/${lifted.body.id}`).set(bearer()).expect(204);
      const expiring = await t.http
        .post('/api/sip-security/bans')
        .set(bearer())
        .send({ cidr: '192.0.2.80/28', reason: 'short', duration_seconds: 1 })
        .expect(201);
      await waitFor(async () =>
        (await bansOf('expired')).some((ban) => ban.id === expiring.body.id) ? true : undefined,
      );

      const active = await t.http.get('/api/sip-security/bans').set(bearer()).expect(200);
      expect((active.body as Ban[]).every((ban) => ban.state === 'active' && ban.lifted_at === null)).toBe(true);
      expect((active.body as Ban[]).map((ban) => ban.id)).not.toContain(lifted.body.id);
      expect(Number(active.headers['x-total-count'])).toBe(active.body.length);

      const liftedList = await bansOf('lifted');
      expect(liftedList).toContainEqual(
        expect.objectContaining({ id: lifted.body.id, state: 'lifted', lifted_at: expect.any(String) }),
      );
      expect(liftedList.every((ban) => ban.state === 'lifted')).toBe(true);
      expect((await bansOf('expired')).every((ban) => ban.state === 'expired')).toBe(true);

      const all = await t.http.get('/api/sip-security/bans?state=all&limit=2').set(bearer()).expect(200);
      expect(all.body).toHaveLength(2);
      const everything = await bansOf('all');
      expect(Number(all.headers['x-total-count'])).toBe(everything.length);
      expect(everything.map((ban) => ban.id)).toEqual(expect.arrayContaining([lifted.body.id, expiring.body.id]));
      expect(everything.length).toBe(
        (await bansOf('active')).length + liftedList.length + (await bansOf('expired')).length,
      );
    });

    it.each(['state=gone', 'state=', 'limit=0', 'skip=-1', 'limit=1001'])('answers bans?%s with 422', async (query) => {
      await t.http.get(`/api/sip-security/bans?${query}`).set(bearer()).expect(422);
    });
  });

  describe('sources/{ip}', () => {
    it("tells one source's story: counts by kind, times, usernames, agents, reasons, ban state and history", async () => {
      await ingestFailed([failedRegistration('203.0.113.30', { username: '2001', user_agent: 'PolycomVVX' })]);
      await ingestKnocks([
        doorKnock('203.0.113.30', { to_uri: 'sip:2002@192.0.2.1' }),
        doorKnock('203.0.113.30', { reason: 'flood', to_uri: null, user_agent: null }),
        doorKnock('203.0.113.30', { reason: 'flood', to_uri: null, user_agent: null }),
      ]);
      await evaluate();
      const created = await t.http
        .post('/api/sip-security/bans')
        .set(bearer())
        .send({ cidr: '203.0.113.30', reason: 'seen in the logs' })
        .expect(201);
      const response = await t.http.get('/api/sip-security/sources/203.0.113.30').set(bearer()).expect(200);
      expect(response.body).toEqual({
        ip: '203.0.113.30',
        failed_registrations: 1,
        door_knocks: 3,
        counts: { failed_registration: 1, flood: 2, unknown_domain: 1 },
        door_knock_reasons: ['flood', 'unknown_domain'],
        first_seen_at: expect.any(String),
        last_seen_at: expect.any(String),
        distinct_usernames: 2,
        usernames: ['2001', '2002'],
        user_agents: expect.arrayContaining(['friendly-scanner', 'PolycomVVX']),
        ban_state: { banned: true, allowlisted: false, expires_at: null, reason: 'seen in the logs' },
        bans: [expect.objectContaining({ id: created.body.id, cidr: '203.0.113.30/32', state: 'active' })],
        trusted: false,
        country: null,
        registrations: [],
      });
    });

    it('reads an IPv4-mapped address as the IPv4 address, and lists past bans of the source', async () => {
      const response = await t.http.get('/api/sip-security/sources/::ffff:203.0.113.10').set(bearer()).expect(200);
      expect(response.body).toMatchObject({ ip: '203.0.113.10', failed_registrations: 5, usernames: ['1000'] });
      expect(response.body.bans).toEqual([expect.objectContaining({ cidr: '203.0.113.10/32', source: 'auto' })]);
    });

    it.each(['nope', '1.2.3', '203.0.113.0%2F24', 'fe80::1%25eth0'])('answers sources/%s with 400', async (ip) => {
      const response = await t.http.get(`/api/sip-security/sources/${ip}`).set(bearer()).expect(400);
      expect(response.body.message).toBe('ip must be an IPv4 or IPv6 address');
    });

    it('answers an address with no event and no ban with 404, and keeps sources to superusers', async () => {
      await t.http.get('/api/sip-security/sources/192.0.2.250').set(bearer()).expect(404);
      await t.http.get('/api/sip-security/sources/203.0.113.10').set(key).expect(401);
    });
  });
});
