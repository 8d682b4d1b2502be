import { ADMIN, startTestApp, TestApp } from '../support/test-app';

/**
 * Feeds for the firewalls operators already run: bouncer keys, CrowdSec's bouncer API (/v1/decisions) and
 * the nftables / ipset exports, over HTTP on a real database.
 */
const INGEST_KEY = 'ingest-key-of-the-sip-proxy';

interface Decision {
  id: number;
  origin: string;
  type: string;
  scope: string;
  value: string;
  duration: string;
  scenario: string;
}

describe('Firewall bouncers: keys, the CrowdSec decision stream, nftables and ipset exports', () => {
  let t: TestApp;
  let admin: string;

  beforeAll(async () => {
    t = await startTestApp({ env: { SIP_INGEST_API_KEY: INGEST_KEY } });
    admin = await t.login(ADMIN.email, ADMIN.password);
  });
  afterAll(async () => {
    await t?.close();
  });

  const createBouncer = async (name: string): Promise<{ id: number; key: string }> => {
    const response = await t.http
      .post('/api/sip-security/bouncers')
      .set('Authorization', `Bearer ${admin}`)
      .send({ name })
      .expect(201);
    return response.body as { id: number; key: string };
  };
  const ban = async (cidr: string, durationSeconds?: number): Promise<string> => {
    const response = await t.http
      .post('/api/sip-security/bans')
      .set('Authorization', `Bearer ${admin}`)
      .send({ cidr, reason: 'svcrack', ...(durationSeconds && { duration_seconds: durationSeconds }) })
      .expect(201);
    return (response.body as { id: string }).id;
  };
  const stream = async (key: string, startup: boolean): Promise<{ new: Decision[]; deleted: Decision[] }> =>
    (await t.http.get(`/v1/decisions/stream?startup=${startup}`).set('X-Api-Key', key).expect(200)).body as {
      new: Decision[];
      deleted: Decision[];
    };

  it('creates a key shown once, lists bouncers without keys, and logs the creation without the key', async () => {
    const created = await createBouncer('fw1');
    expect(created).toMatchObject({
      id: expect.any(Number),
      name: 'fw1',
      key: expect.stringMatching(/^[A-Za-z0-9_-]{43}$/),
    });
    expect((created as unknown as { key_prefix: string }).key_prefix).toBe(created.key.slice(0, 8));

    const listed = await t.http.get('/api/sip-security/bouncers').set('Authorization', `Bearer ${admin}`).expect(200);
    const entry = (listed.body as Array<Record<string, unknown>>).find((bouncer) => bouncer.id === created.id);
    expect(entry).toMatchObject({ name: 'fw1', last_pull_at: null });
    expect(entry).not.toHaveProperty('key');

    const logged = t
      .securityEvents()
      .find((event) => event.action === 'bouncer_create' && event.bouncer_id === String(created.id));
    expect(logged).toMatchObject({ event: 'admin_action', name: 'fw1' });
    expect(t.securityLogText()).not.toContain(created.key);
    const { rows } = await t.db.query('SELECT encode(key_sha256, $2) AS stored FROM sip_bouncers WHERE id = $1', [
      created.id,
      'hex',
    ]);
    expect(rows[0].stored).not.toContain(Buffer.from(created.key).toString('hex'));
  });

  it('refuses the routes without the right credentials', async () => {
    await t.http.get('/api/sip-security/bouncers').expect(401);
    await t.http.post('/api/sip-security/bouncers').set('X-Api-Key', INGEST_KEY).send({ name: 'x' }).expect(401);
    await t.http.post('/api/sip-security/bouncers').set('Authorization', `Bearer ${admin}`).send({}).expect(422);
    await t.http.get('/v1/decisions/stream?startup=true').expect(401);
    // The proxy's ingest key is not a bouncer key.
    await t.http.get('/v1/decisions/stream?startup=true').set('X-Api-Key', INGEST_KEY).expect(401);
    await t.http.get('/v1/decisions/stream?startup=true').set('X-Api-Key', 'not-a-key').expect(401);
    // Wrong bouncer keys are logged like wrong ingest keys (fail2ban reads them), never with the key.
    const rejected = t.securityEvents().filter((event) => event.event === 'api_key_rejected');
    expect(rejected.filter((event) => event.path === '/v1/decisions/stream')).toHaveLength(3);
    expect(t.securityLogText()).not.toContain('not-a-key');
  });

  it('streams every active ban at startup, then only what changed, in CrowdSec decision format', async () => {
    const { key } = await createBouncer('fw-stream');
    const hostBan = await ban('198.51.100.7', 3600);
    const rangeBan = await ban('203.0.113.0/24');
    // A pull reaches 2 s before the previous one (changes still committing): let these fall outside it.
    await new Promise((resolve) => setTimeout(resolve, 2100));

    const first = await stream(key, true);
    expect(first.deleted).toEqual([]);
    expect(first.new).toEqual(
      expect.arrayContaining([
        {
          id: Number(hostBan),
          origin: 'regshield',
          type: 'ban',
          scope: 'Ip',
          value: '198.51.100.7',
          duration: expect.stringMatching(/^(59m\d+s|1h0m0s)$/),
          scenario: 'svcrack',
        },
        {
          id: Number(rangeBan),
          origin: 'regshield',
          type: 'ban',
          scope: 'Range',
          value: '203.0.113.0/24',
          duration: '960h0m0s',
          scenario: 'svcrack',
        },
      ]),
    );

    const quiet = await stream(key, false);
    expect(quiet).toEqual({ new: [], deleted: [] });

    await new Promise((resolve) => setTimeout(resolve, 2100));
    const laterBan = await ban('198.51.100.8', 600);
    await t.http.delete(`/api/sip-security/bans/${hostBan}`).set('Authorization', `Bearer ${admin}`).expect(204);
    const changes = await stream(key, false);
    expect(changes.new.map((decision) => decision.value)).toEqual(['198.51.100.8']);
    expect(changes.new[0].id).toBe(Number(laterBan));
    expect(changes.deleted).toEqual([
      expect.objectContaining({ id: Number(hostBan), scope: 'Ip', value: '198.51.100.7' }),
    ]);

    const listed = await t.http.get('/api/sip-security/bouncers').set('Authorization', `Bearer ${admin}`).expect(200);
    expect(
      (listed.body as Array<{ name: string; last_pull_at: string | null }>).find((b) => b.name === 'fw-stream')
        ?.last_pull_at,
    ).toEqual(expect.any(String));
  });

  it('answers /v1/decisions?ip= with the bans covering the address', async () => {
    const { key } = await createBouncer('fw-lookup');
    await ban('192.0.2.0/28', 600);
    const covered = await t.http.get('/v1/decisions?ip=192.0.2.9').set('X-Api-Key', key).expect(200);
    expect(covered.body).toEqual([expect.objectContaining({ scope: 'Range', value: '192.0.2.0/28' })]);
    const mapped = await t.http.get('/v1/decisions?ip=::ffff:192.0.2.9').set('X-Api-Key', key).expect(200);
    expect(mapped.body).toHaveLength(1);
    expect((await t.http.get('/v1/decisions?ip=192.0.2.99').set('X-Api-Key', key).expect(200)).body).toEqual([]);
    await t.http.get('/v1/decisions?ip=not-an-ip').set('X-Api-Key', key).expect(422);
    await t.http.get('/v1/decisions/stream?startup=maybe').set('X-Api-Key', key).expect(422);
  });

  it('exports the bans as an nftables script and an ipset restore file, to a bouncer key too', async () => {
    const { key } = await createBouncer('fw-export');
    await ban('2001:db8:5::/64', 600);
    const nft = await t.http.get('/api/sip-security/bans/export?format=nftables').set('X-Api-Key', key).expect(200);
    expect(nft.headers['content-type']).toMatch(/^text\/plain/);
    expect(nft.text).toContain('table inet regshield {');
    expect(nft.text).toMatch(/set banned_ipv4 \{[^}]*elements = \{[^}]*203\.0\.113\.0\/24[^}]*\}/);
    expect(nft.text).toMatch(/set banned_ipv6 \{[^}]*2001:db8:5::\/64 timeout \d+s/);
    expect(nft.text).toContain('ip saddr @banned_ipv4 drop');

    const ipset = await t.http
      .get('/api/sip-security/bans/export?format=ipset')
      .set('X-Api-Key', INGEST_KEY)
      .expect(200);
    expect(ipset.text).toContain('create regshield-v4 hash:net family inet timeout 0 -exist');
    expect(ipset.text).toContain('add regshield-v4-next 203.0.113.0/24 timeout 0');
    expect(ipset.text).toMatch(/add regshield-v6-next 2001:db8:5::\/64 timeout \d+/);
    expect(ipset.text).toContain('swap regshield-v6-next regshield-v6');

    await t.http.get('/api/sip-security/bans/export?format=iptables').set('X-Api-Key', key).expect(422);
  });

  it('revokes a key: its next request is a 401, and it leaves the list', async () => {
    const { id, key } = await createBouncer('fw-revoked');
    await stream(key, true);
    await t.http.delete(`/api/sip-security/bouncers/${id}`).set('Authorization', `Bearer ${admin}`).expect(204);
    await t.http.get('/v1/decisions/stream?startup=false').set('X-Api-Key', key).expect(401);
    await t.http.get('/api/sip-security/bans/export').set('X-Api-Key', key).expect(401);
    await t.http.delete(`/api/sip-security/bouncers/${id}`).set('Authorization', `Bearer ${admin}`).expect(404);
    const listed = await t.http.get('/api/sip-security/bouncers').set('Authorization', `Bearer ${admin}`).expect(200);
    expect((listed.body as Array<{ id: number }>).map((bouncer) => bouncer.id)).not.toContain(id);
    expect(t.securityEvents().find((event) => event.action === 'bouncer_revoke')).toMatchObject({
      bouncer_id: String(id),
    });
  });
});
