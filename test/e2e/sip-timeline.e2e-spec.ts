import { ADMIN, newUser, TestApp, useTestApp } from '../support/test-app';

/** GET /api/sip-security/stats/timeline over rows written with known times, as the proxy may write them. */
describe('SIP timeline (real HTTP, real PostgreSQL)', () => {
  const t: TestApp = useTestApp({ env: { REGISTER_RATE_LIMIT: '100' } });
  let admin: { Authorization: string };

  const failedAt = (...times: string[]) =>
    t.db.query(
      `INSERT INTO failed_registrations (username, source_ip, response_code, created_at)
       SELECT '1000', '192.0.2.50', 403, unnest($1::timestamptz[])`,
      [times],
    );
  const knocksAt = (...times: string[]) =>
    t.db.query(
      `INSERT INTO door_knock_attempts (source_ip, reason, created_at)
       SELECT '192.0.2.51', 'unknown_domain', unnest($1::timestamptz[])`,
      [times],
    );
  const bansAt = (...times: string[]) =>
    t.db.query(
      `INSERT INTO sip_bans (cidr, reason, source, created_at, expires_at)
       SELECT '192.0.2.52/32', 'test', 'auto', time, time + interval '1 hour' FROM unnest($1::timestamptz[]) time`,
      [times],
    );
  const timeline = (query: string) => t.http.get(`/api/sip-security/stats/timeline?${query}`).set(admin).expect(200);

  beforeAll(async () => {
    admin = { Authorization: `Bearer ${await t.login(ADMIN.email, ADMIN.password)}` };
    await failedAt('2026-01-01T00:10:00Z', '2026-01-01T00:20:00Z', '2026-01-01T04:59:59Z', '2026-01-01T05:00:00Z');
    await knocksAt('2025-12-31T23:59:59Z', '2026-01-01T02:30:00Z');
    await bansAt('2026-01-01T02:00:00Z', '2026-01-03T12:00:00Z');
  });

  it('counts per UTC hour of [since, until), oldest first, quiet hours included as zeros', async () => {
    const response = await timeline('since=2026-01-01T00:00:00Z&until=2026-01-01T05:00:00Z&bucket=hour');
    expect(response.body).toEqual([
      { start: '2026-01-01T00:00:00.000Z', failed_registrations: 2, door_knocks: 0, bans: 0 },
      { start: '2026-01-01T01:00:00.000Z', failed_registrations: 0, door_knocks: 0, bans: 0 },
      { start: '2026-01-01T02:00:00.000Z', failed_registrations: 0, door_knocks: 1, bans: 1 },
      { start: '2026-01-01T03:00:00.000Z', failed_registrations: 0, door_knocks: 0, bans: 0 },
      { start: '2026-01-01T04:00:00.000Z', failed_registrations: 1, door_knocks: 0, bans: 0 },
    ]);
  });

  it('starts at the hour holding since and counts only from since on; until is excluded', async () => {
    const response = await timeline('since=2026-01-01T00:15:00Z&until=2026-01-01T01:30:00Z');
    expect(response.body).toEqual([
      { start: '2026-01-01T00:00:00.000Z', failed_registrations: 1, door_knocks: 0, bans: 0 },
      { start: '2026-01-01T01:00:00.000Z', failed_registrations: 0, door_knocks: 0, bans: 0 },
    ]);
  });

  it('counts per UTC day, whatever the offset the window was written in', async () => {
    const response = await timeline('since=2026-01-01T00:30:00%2B01:00&until=2026-01-04T00:00:00Z&bucket=day');
    expect(response.body).toEqual([
      { start: '2025-12-31T00:00:00.000Z', failed_registrations: 0, door_knocks: 1, bans: 0 },
      { start: '2026-01-01T00:00:00.000Z', failed_registrations: 4, door_knocks: 1, bans: 1 },
      { start: '2026-01-02T00:00:00.000Z', failed_registrations: 0, door_knocks: 0, bans: 0 },
      { start: '2026-01-03T00:00:00.000Z', failed_registrations: 0, door_knocks: 0, bans: 1 },
    ]);
  });

  it('defaults to the last 24 hours by hour and the last 30 days by day, ending now', async () => {
    const before = Date.now();
    const hours = (await timeline('')).body as Array<{ start: string }>;
    const days = (await timeline('bucket=day')).body as Array<{ start: string }>;
    expect(hours.length).toBeGreaterThanOrEqual(24);
    expect(hours.length).toBeLessThanOrEqual(25);
    expect(Date.parse(hours[0].start)).toBeLessThanOrEqual(before - 24 * 3600_000);
    expect(Date.parse(hours.at(-1)!.start)).toBeGreaterThan(before - 3600_000);
    expect(days.length).toBeGreaterThanOrEqual(30);
    expect(days.length).toBeLessThanOrEqual(31);
    expect(days.at(-1)!.start).toBe(`${new Date().toISOString().slice(0, 10)}T00:00:00.000Z`);
  });

  it.each([
    ['since=2026-01-02T00:00:00Z&until=2026-01-01T00:00:00Z', 'since must be before until'],
    ['since=2026-01-01T00:00:00Z&until=2026-01-01T00:00:00Z', 'since must be before until'],
    ['since=2026-01-01T00:00:00Z&until=2026-03-01T00:00:00Z', 'the window holds 1416 hour buckets; at most 1000'],
    ['since=2020-01-01&until=2026-01-01&bucket=day', 'the window holds 2192 day buckets; at most 1000'],
    ['bucket=week', 'bucket must be one of the following values: hour, day'],
    ['since=yesterday', 'since must be an ISO 8601 date-time'],
    ['until=2026-02-30', 'until must be an ISO 8601 date-time'],
    ['skip=0', 'property skip should not exist'],
  ])('refuses %s with 422', async (query, message) => {
    const response = await t.http.get(`/api/sip-security/stats/timeline?${query}`).set(admin).expect(422);
    expect(response.body.message).toContainEqual(expect.stringContaining(message));
  });

  it('takes a window of exactly the maximum number of buckets', async () => {
    const response = await timeline('since=2026-01-01T00:00:00Z&until=2026-02-11T16:00:00Z');
    expect(response.body).toHaveLength(1000);
  });

  it('is for superusers: 401 without a token, 403 for a user', async () => {
    await t.http.get('/api/sip-security/stats/timeline').expect(401);
    const user = newUser();
    const created = await t.http.post('/api/auth/register').send(user).expect(201);
    await t.http.post(`/api/admin/users/${created.body.id}/activate`).set(admin).expect(200);
    const token = await t.login(user.email, user.password);
    const response = await t.http
      .get('/api/sip-security/stats/timeline')
      .set({ Authorization: `Bearer ${token}` })
      .expect(403);
    expect(response.body.message).toBe('Admin privileges required');
  });
});
