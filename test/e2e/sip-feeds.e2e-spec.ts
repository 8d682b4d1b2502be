import * as net from 'node:net';
import { FeedServer, startFeedServer } from '../support/feed-server';
import { ADMIN, newUser, startTestApp, TestApp } from '../support/test-app';
import { eventually, waitFor } from '../support/wait';

/**
 * Feeds over real HTTP (a local server plays each feed) on a real database: routes and their 4xx, the three
 * formats, entries that leave, the allowlist and width bounds winning, an unreachable feed going stale, and
 * deleting a feed lifting its bans.
 */
const STALE_AFTER_SECONDS = 6;

interface Feed {
  id: number;
  name: string;
  entries: number;
  banned: number;
  last_pulled_at: string | null;
  last_attempt_at: string | null;
  last_error: string | null;
  skipped: { allowlisted: number; too_wide: number; invalid: number };
  skipped_entries?: Array<{ cidr: string; reason: string }>;
  truncated?: boolean;
}

describe('SIP feeds: bans in from plain lists, APIBan and a CrowdSec decision stream', () => {
  jest.setTimeout(90_000);
  let t: TestApp;
  let server: FeedServer;
  let admin: string;
  const bearer = () => ({ Authorization: `Bearer ${admin}` });

  const createFeed = (body: Record<string, unknown>) => t.http.post('/api/sip-security/feeds').set(bearer()).send(body);
  const getFeed = async (id: number): Promise<Feed> =>
    (await t.http.get(`/api/sip-security/feeds/${id}`).set(bearer()).expect(200)).body as Feed;
  /**
   * The feed's interval is up now: the next tick (1 s) pulls it. Resolves once that pull is stored: a pull
   * ends by writing last_error (null after a success), so a marker there tells a finished pull from one
   * still running.
   */
  const pullNow = async (id: number): Promise<Feed> => {
    await t.db.query(`UPDATE sip_feeds SET next_pull_at = now(), last_error = 'test: pending' WHERE id = $1`, [id]);
    return waitFor(async () => {
      const feed = await getFeed(id);
      return feed.last_error === 'test: pending' ? undefined : feed;
    }, 15_000);
  };
  const firstPull = (id: number): Promise<Feed> =>
    waitFor(async () => {
      const feed = await getFeed(id);
      return feed.last_pulled_at !== null || feed.last_error !== null ? feed : undefined;
    }, 15_000);
  const feedBans = async (name: string): Promise<string[]> => {
    const bans = (await t.http.get('/api/sip-security/bans').set(bearer()).expect(200)).body as Array<{
      cidr: string;
      source: string;
      feed: string | null;
    }>;
    return bans
      .filter((ban) => ban.source === 'feed' && ban.feed === name)
      .map((ban) => ban.cidr)
      .sort();
  };
  const banned = async (ip: string): Promise<boolean> =>
    ((await t.http.get(`/api/sip-security/check/${ip}`).set(bearer()).expect(200)).body as { banned: boolean }).banned;

  /** check/{ip} answers from each instance's index, reloaded on the bans table's notification. */
  const bannedSoon = (ip: string, expected: boolean) => eventually(async () => (await banned(ip)) === expected, 5000);

  beforeAll(async () => {
    server = await startFeedServer();
    t = await startTestApp({
      env: {
        SIP_ALLOWLIST: '127.0.0.0/8,::1/128',
        SIP_FEED_STALE_AFTER: String(STALE_AFTER_SECONDS),
        REGISTRATION_MODE: 'open',
      },
    });
    admin = await t.login(ADMIN.email, ADMIN.password);
  });
  afterAll(async () => {
    await t?.close();
    await server?.close();
  });

  it('bans a plain list at once, skipping (and showing) allowlisted, too wide and invalid entries', async () => {
    server.answer('/plain.txt', {
      body: '# test list\n198.51.100.1\n198.51.100.2 ; scanner\n127.0.0.9\n10.0.0.0/7\nnot-an-address\n2001:db8::7\n',
    });
    const created = await createFeed({
      name: 'plain-list',
      url: `${server.base}/plain.txt`,
      format: 'plain',
      interval_seconds: 60,
    }).expect(201);
    expect(created.body).toMatchObject({
      name: 'plain-list',
      format: 'plain',
      interval_seconds: 60,
      ban_duration_seconds: null,
      api_key_set: false,
      last_pulled_at: null,
    });
    const feed = await firstPull(created.body.id);
    expect(feed).toMatchObject({
      last_error: null,
      entries: 5,
      banned: 3,
      skipped: { allowlisted: 1, too_wide: 1, invalid: 1 },
    });
    expect(feed.skipped_entries).toEqual([
      { cidr: '10.0.0.0/7', reason: 'too_wide' },
      { cidr: '127.0.0.9/32', reason: 'allowlisted' },
    ]);
    expect(await feedBans('plain-list')).toEqual(['198.51.100.1/32', '198.51.100.2/32', '2001:db8::7/128']);
    await bannedSoon('198.51.100.2', true);
    await bannedSoon('127.0.0.9', false);
    const listed = (await t.http.get('/api/sip-security/feeds').set(bearer()).expect(200)).body as Feed[];
    expect(listed.find((item) => item.id === feed.id)).toMatchObject({ name: 'plain-list', banned: 3 });
    expect(
      t.securityEvents().find((event) => event.action === 'feed_create' && event.name === 'plain-list'),
    ).toMatchObject({
      event: 'admin_action',
      format: 'plain',
    });
  });

  it('lifts an entry that leaves the feed, bans one that joins, and lifts a ban once its entry is allowlisted', async () => {
    const { id } = ((await t.http.get('/api/sip-security/feeds').set(bearer())).body as Feed[]).find(
      (feed) => feed.name === 'plain-list',
    )!;
    server.answer('/plain.txt', { body: '198.51.100.2\n198.51.100.3\n2001:db8::7\n' });
    await pullNow(id);
    expect(await feedBans('plain-list')).toEqual(['198.51.100.2/32', '198.51.100.3/32', '2001:db8::7/128']);
    await bannedSoon('198.51.100.1', false);

    await t.http
      .post('/api/sip-security/allowlist')
      .set(bearer())
      .send({ cidr: '198.51.100.3', description: 'a trunk' })
      .expect(201);
    const feed = await pullNow(id);
    expect(await feedBans('plain-list')).toEqual(['198.51.100.2/32', '2001:db8::7/128']);
    expect(feed.skipped.allowlisted).toBe(1);
  });

  it('reads APIBan page by page with the key in the path, never showing the key', async () => {
    const key = 'apiban-key-0123456789';
    server.answer(`/api/${key}/banned`, {
      body: JSON.stringify({ ipaddress: ['203.0.113.1', '203.0.113.2'], ID: '100' }),
    });
    server.answer(`/api/${key}/banned/100`, { body: JSON.stringify({ ipaddress: ['203.0.113.3'], ID: '101' }) });
    server.answer(`/api/${key}/banned/101`, {
      status: 400,
      body: JSON.stringify({ ipaddress: ['no new bans'], ID: 'none' }),
    });
    await createFeed({ name: 'apiban', url: `${server.base}/api`, format: 'apiban', interval_seconds: 300 }).expect(
      422,
    );
    const created = await createFeed({
      name: 'apiban',
      url: `${server.base}/api/`,
      format: 'apiban',
      interval_seconds: 300,
      api_key: key,
      ban_duration_seconds: 3600,
    }).expect(201);
    expect(created.body).toMatchObject({ api_key_set: true, ban_duration_seconds: 3600 });
    expect(created.body).not.toHaveProperty('api_key');
    const feed = await firstPull(created.body.id);
    expect(feed).toMatchObject({ last_error: null, entries: 3, banned: 3 });
    expect(await feedBans('apiban')).toEqual(['203.0.113.1/32', '203.0.113.2/32', '203.0.113.3/32']);
    const bans = (await t.http.get('/api/sip-security/bans').set(bearer())).body as Array<{
      feed: string;
      expires_at: string;
    }>;
    const expiry = Date.parse(bans.find((ban) => ban.feed === 'apiban')!.expires_at) - Date.now();
    expect(expiry).toBeGreaterThan(3500_000);
    expect(expiry).toBeLessThanOrEqual(3600_000);

    const shown = JSON.stringify([
      (await t.http.get('/api/sip-security/feeds').set(bearer())).body,
      await getFeed(feed.id),
    ]);
    expect(shown).not.toContain(key);
    expect(t.securityLogText()).not.toContain(key);

    // Still listed with less than half its duration left: the next pull renews it.
    await t.db.query(
      `UPDATE sip_bans SET expires_at = now() + interval '10 minutes' WHERE feed = 'apiban' AND cidr = '203.0.113.1/32'`,
    );
    await pullNow(feed.id);
    const { rows } = await t.db.query(
      `SELECT extract(epoch FROM expires_at - now())::int AS left FROM sip_bans WHERE feed = 'apiban' AND cidr = '203.0.113.1/32' AND lifted_at IS NULL`,
    );
    expect(rows).toHaveLength(1);
    expect(rows[0].left).toBeGreaterThan(3500);
  });

  it('follows a CrowdSec decision stream: startup first with X-Api-Key, then deltas', async () => {
    let pulls = 0;
    server.answer('/v1/decisions/stream', (request) => {
      pulls += 1;
      if (request.headers['x-api-key'] !== 'bouncer-key')
        return { status: 403, body: '{"message":"access forbidden"}' };
      const decision = (value: string) => ({
        type: 'ban',
        scope: value.includes('/') ? 'Range' : 'Ip',
        value,
        duration: '1h0m0s',
      });
      const startup = request.url.includes('startup=true');
      const body = startup
        ? { new: [decision('192.0.2.1'), decision('192.0.2.128/25')], deleted: null }
        : { new: [decision('192.0.2.3')], deleted: [decision('192.0.2.1')] };
      return { body: JSON.stringify(body), contentType: 'application/json' };
    });
    const created = await createFeed({
      name: 'upstream',
      url: server.base,
      format: 'crowdsec',
      interval_seconds: 60,
      api_key: 'bouncer-key',
    }).expect(201);
    await firstPull(created.body.id);
    expect(await feedBans('upstream')).toEqual(['192.0.2.1/32', '192.0.2.128/25']);
    await pullNow(created.body.id);
    expect(await feedBans('upstream')).toEqual(['192.0.2.128/25', '192.0.2.3/32']);
    const urls = server.requests.filter((request) => request.url.startsWith('/v1/decisions/stream')).map((r) => r.url);
    expect(urls.slice(-2)).toEqual(['/v1/decisions/stream?startup=true', '/v1/decisions/stream?startup=false']);
    expect(pulls).toBeGreaterThanOrEqual(2);
  });

  it('keeps the entries of an unreachable feed, lets them lapse once stale, and takes them back when it answers', async () => {
    server.answer('/flaky.txt', { body: '198.51.100.50\n' });
    const created = await createFeed({
      name: 'flaky',
      url: `${server.base}/flaky.txt`,
      format: 'plain',
      interval_seconds: 60,
    }).expect(201);
    await firstPull(created.body.id);
    expect(await feedBans('flaky')).toEqual(['198.51.100.50/32']);

    server.answer('/flaky.txt', { status: 503, body: 'down' });
    const failed = await pullNow(created.body.id);
    expect(failed).toMatchObject({ last_error: 'HTTP 503', entries: 1, banned: 1 });
    await bannedSoon('198.51.100.50', true);

    await new Promise((resolve) => setTimeout(resolve, STALE_AFTER_SECONDS * 1000 + 500));
    const stale = await pullNow(created.body.id);
    expect(stale).toMatchObject({ last_error: 'HTTP 503', entries: 0, banned: 0 });
    await bannedSoon('198.51.100.50', false);

    server.answer('/flaky.txt', { body: '198.51.100.50\n' });
    expect(await pullNow(created.body.id)).toMatchObject({ last_error: null, entries: 1, banned: 1 });
  });

  it('refuses a hostile feed (too big, not JSON) without crashing and keeps serving', async () => {
    server.answer('/huge.txt', { body: '198.51.100.60\n'.repeat(1_300_000) });
    const huge = await createFeed({
      name: 'huge',
      url: `${server.base}/huge.txt`,
      format: 'plain',
      interval_seconds: 60,
    }).expect(201);
    expect(await firstPull(huge.body.id)).toMatchObject({
      last_error: expect.stringContaining('larger than'),
      banned: 0,
    });

    server.answer('/garbage/v1/decisions/stream', { body: '<html>' });
    const garbage = await createFeed({
      name: 'garbage',
      url: `${server.base}/garbage`,
      format: 'crowdsec',
      interval_seconds: 60,
      api_key: 'k',
    }).expect(201);
    expect(await firstPull(garbage.body.id)).toMatchObject({ last_error: 'answer is not JSON', banned: 0 });
    await t.http.get('/health').expect(200);
  });

  it('takes at most 100 000 entries from a feed, says it truncated the rest, and lifts them all on delete', async () => {
    const addresses = Array.from({ length: 100_010 }, (_, i) => `100.${64 + (i >> 16)}.${(i >> 8) & 255}.${i & 255}`);
    server.answer('/big.txt', { body: addresses.join('\n') });
    const startedAt = Date.now();
    const created = await createFeed({
      name: 'big',
      url: `${server.base}/big.txt`,
      format: 'plain',
      interval_seconds: 60,
    }).expect(201);
    const feed = await waitFor(async () => {
      const found = await getFeed(created.body.id);
      return found.last_pulled_at !== null || found.last_error !== null ? found : undefined;
    }, 60_000);
    const pullMs = Date.now() - startedAt;
    expect(feed).toMatchObject({ last_error: null, entries: 100_000, banned: 100_000, truncated: true });
    await bannedSoon('100.64.0.1', true);
    await t.http.delete(`/api/sip-security/feeds/${feed.id}`).set(bearer()).expect(204);
    await bannedSoon('100.64.0.1', false);
    console.log(`a 100 000-entry plain feed: banned ${pullMs} ms after its creation`);
  });

  it('deletes a feed, lifting its bans, audited', async () => {
    const { id } = ((await t.http.get('/api/sip-security/feeds').set(bearer())).body as Feed[]).find(
      (feed) => feed.name === 'plain-list',
    )!;
    await t.http.delete(`/api/sip-security/feeds/${id}`).set(bearer()).expect(204);
    expect(await feedBans('plain-list')).toEqual([]);
    await bannedSoon('198.51.100.2', false);
    await t.http.get(`/api/sip-security/feeds/${id}`).set(bearer()).expect(404);
    await t.http.delete(`/api/sip-security/feeds/${id}`).set(bearer()).expect(404);
    const { rows } = await t.db.query(
      `SELECT count(*)::int AS n FROM sip_bans WHERE feed = 'plain-list' AND lifted_at IS NULL`,
    );
    expect(rows[0].n).toBe(0);
    expect(
      t.securityEvents().find((event) => event.action === 'feed_delete' && event.name === 'plain-list'),
    ).toMatchObject({
      name: 'plain-list',
      bans_lifted: 2,
    });
  });

  it('is pulled once per interval however many instances run', async () => {
    const second = await startTestApp({ databaseUrl: t.databaseUrl, env: { SIP_ALLOWLIST: '127.0.0.0/8,::1/128' } });
    try {
      let pulls = 0;
      server.answer('/shared.txt', () => {
        pulls += 1;
        return { body: '198.51.100.70\n' };
      });
      const created = await createFeed({
        name: 'shared',
        url: `${server.base}/shared.txt`,
        format: 'plain',
        interval_seconds: 60,
      }).expect(201);
      await firstPull(created.body.id);
      for (let i = 0; i < 3; i++) await pullNow(created.body.id);
      // Both instances ticked through every due moment; a second pull would have come within their next ticks.
      await new Promise((resolve) => setTimeout(resolve, 2500));
      expect(pulls).toBe(4);
      expect(await feedBans('shared')).toEqual(['198.51.100.70/32']);
    } finally {
      await second.close();
    }
  });

  it('does not hold its shutdown for a feed that never answers', async () => {
    const silent = net.createServer(() => undefined);
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
    const own = await startTestApp();
    try {
      const token = await own.login(ADMIN.email, ADMIN.password);
      const { port } = silent.address() as net.AddressInfo;
      const created = await own.http
        .post('/api/sip-security/feeds')
        .set('Authorization', `Bearer ${token}`)
        .send({ name: 'silent', url: `http://127.0.0.1:${port}/list`, format: 'plain', interval_seconds: 60 })
        .expect(201);
      await waitFor(async () => {
        const { rows } = await own.db.query('SELECT last_attempt_at FROM sip_feeds WHERE id = $1', [created.body.id]);
        return rows[0].last_attempt_at ?? undefined;
      }, 10_000);
      const closing = Date.now();
      await own.close();
      // The pull's own deadline is 30 s.
      expect(Date.now() - closing).toBeLessThan(10_000);
    } finally {
      await own.close();
      silent.close();
    }
  });

  it('answers bad requests with 4xx and changes nothing', async () => {
    const valid = { name: 'x', url: `${server.base}/x.txt`, format: 'plain', interval_seconds: 60 };
    for (const body of [
      { ...valid, interval_seconds: 59 },
      { ...valid, interval_seconds: '60' },
      { ...valid, format: 'csv' },
      { ...valid, url: 'ftp://example.com/list' },
      { ...valid, url: 'file:///etc/passwd' },
      { ...valid, url: 'http://user:secret@example.com/list' },
      { ...valid, url: 'not a url' },
      { ...valid, name: '' },
      { ...valid, name: 'a\u0000b' },
      { ...valid, api_key: 'not for plain' },
      { ...valid, format: 'crowdsec' },
      { ...valid, ban_duration_seconds: 10 },
      { ...valid, extra: true },
      { name: 'x' },
    ]) {
      await createFeed(body).expect(422);
    }
    await createFeed({ ...valid, name: 'apiban' }).expect(409);
    await t.http
      .post('/api/sip-security/feeds')
      .set(bearer())
      .set('content-type', 'application/json')
      .send('{')
      .expect(400);
    await t.http.get('/api/sip-security/feeds/not-a-number').set(bearer()).expect(404);
    await t.http.get('/api/sip-security/feeds/999999').set(bearer()).expect(404);
    await t.http.get('/api/sip-security/feeds').expect(401);
    const user = newUser();
    await t.http.post('/api/auth/register').send(user).expect(201);
    const userToken = await t.login(user.email, user.password);
    await t.http.get('/api/sip-security/feeds').set('Authorization', `Bearer ${userToken}`).expect(403);
    await t.http.post('/api/sip-security/feeds').set('Authorization', `Bearer ${userToken}`).send(valid).expect(403);
    const { rows } = await t.db.query(`SELECT count(*)::int AS n FROM sip_feeds WHERE name = 'x'`);
    expect(rows[0].n).toBe(0);
  });

  it('documents the routes and the feed without its key at /docs-json', async () => {
    const document = (await t.http.get('/docs-json').expect(200)).body;
    const routes = [
      ['get', '/api/sip-security/feeds', ['200', '401', '403']],
      ['post', '/api/sip-security/feeds', ['201', '401', '403', '409', '422']],
      ['get', '/api/sip-security/feeds/{id}', ['200', '401', '403', '404']],
      ['delete', '/api/sip-security/feeds/{id}', ['204', '401', '403', '404']],
    ] as const;
    for (const [method, path, statuses] of routes) {
      const operation = document.paths[path]?.[method];
      expect({ path, documented: Boolean(operation) }).toEqual({ path, documented: true });
      expect(Object.keys(operation.responses)).toEqual(expect.arrayContaining([...statuses]));
    }
    const fields = (schema: string) => Object.keys(document.components.schemas[schema].properties);
    expect(fields('FeedDto')).not.toContain('api_key');
    expect(fields('FeedDto')).toContain('api_key_set');
    expect(fields('FeedDetailDto')).toContain('skipped_entries');
    expect(document.components.schemas.BanDto.properties.source.enum).toEqual(['auto', 'manual', 'feed']);
    expect(fields('BanDto')).toContain('feed');
  });
});
