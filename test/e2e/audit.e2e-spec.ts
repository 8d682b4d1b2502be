import { ADMIN, newUser, TestApp, useTestApp } from '../support/test-app';
import { AuditRetentionService } from '../../src/audit/audit-retention.service';
import { eventually } from '../support/wait';

jest.setTimeout(60_000);

describe('Audit trail: GET /api/admin/audit (real HTTP, real PostgreSQL)', () => {
  const t: TestApp = useTestApp({
    env: { REGISTER_RATE_LIMIT: '1000', LOGIN_RATE_LIMIT: '1000', AUDIT_RETENTION_DAYS: '30' },
  });
  let token: string;
  let adminId: string;
  let memberId: string;
  let memberEmail: string;

  const audit = (query: Record<string, string | number> = {}) =>
    t.http.get('/api/admin/audit').query(query).set('Authorization', `Bearer ${token}`);

  beforeAll(async () => {
    token = await t.login(ADMIN.email, ADMIN.password);
    adminId = (await t.http.get('/api/auth/me').set('Authorization', `Bearer ${token}`).expect(200)).body.id as string;
    const member = newUser();
    memberEmail = member.email;
    memberId = (await t.http.post('/api/auth/register').send(member).expect(201)).body.id as string;
    await t.http.post('/api/auth/login').send({ email: member.email, password: 'Wrong1234' }).expect(401);
    await t.http.post(`/api/admin/users/${memberId}/activate`).set('Authorization', `Bearer ${token}`).expect(200);
    await t.login(member.email, member.password);
    // Stored asynchronously, in batches: wait for the last one (the sign-in's device, logged after it).
    await eventually(async () => (await audit({ event: 'new_device_signin', target_id: memberId })).body.length === 1);
  });

  it('stores every security-log event, with the same time and fields as the line, newest first', async () => {
    const response = await audit({ limit: 1000 }).expect(200);
    const lines = t.securityEvents();
    expect(Number(response.headers['x-total-count'])).toBe(lines.length);
    expect(response.body).toHaveLength(lines.length);
    const times = response.body.map((event: { time: string }) => event.time);
    expect([...times].sort().reverse()).toEqual(times);
    const action = response.body.find((event: { event: string }) => event.event === 'admin_action');
    const line = lines.find((event) => event.event === 'admin_action')!;
    expect(action).toEqual({
      id: expect.any(Number),
      time: line.time,
      event: 'admin_action',
      ip: line.ip,
      actor_id: adminId,
      actor_email: ADMIN.email,
      target_id: memberId,
      target_email: memberEmail,
      details: { action: 'activate', target_email: memberEmail, is_active: true, is_superuser: false },
    });
    expect(JSON.stringify(response.body)).not.toMatch(/Wrong1234|hashed|argon/i);
  });

  it('filters by event, actor, target, ip and time window', async () => {
    const failed = await audit({ event: 'login_failed' }).expect(200);
    expect(failed.body.map((event: { details: { email: string } }) => event.details.email)).toContain(memberEmail);
    expect(failed.body.every((event: { event: string }) => event.event === 'login_failed')).toBe(true);

    const byActor = await audit({ actor_id: adminId }).expect(200);
    expect(byActor.body.map((event: { event: string }) => event.event)).toEqual(['admin_action']);

    const byTarget = await audit({ target_id: memberId }).expect(200);
    expect(byTarget.body.map((event: { event: string }) => event.event)).toEqual([
      'new_device_signin',
      'login_succeeded',
      'admin_action',
      'user_created',
    ]);

    const ip = byTarget.body[0].ip as string;
    expect((await audit({ ip, limit: 1000 }).expect(200)).body.length).toBeGreaterThan(3);
    expect((await audit({ ip: '198.51.100.77' }).expect(200)).body).toEqual([]);

    const since = new Date(Date.now() + 60_000).toISOString();
    expect((await audit({ since }).expect(200)).body).toEqual([]);
    expect((await audit({ until: '2000-01-01T00:00:00Z' }).expect(200)).body).toEqual([]);
  });

  it('names no address where no user acted or the user is gone', async () => {
    const events = (await audit({ limit: 1000 }).expect(200)).body as Array<Record<string, unknown>>;
    const failed = events.find((event) => event.event === 'login_failed' && event.target_id === null)!;
    expect(failed).toMatchObject({ actor_id: null, actor_email: null, target_email: null });
  });

  it('lists the event names it can hold, the values the event filter takes', async () => {
    const response = await t.http.get('/api/admin/audit/events').set('Authorization', `Bearer ${token}`).expect(200);
    const names = response.body as string[];
    expect(names).toEqual([...names].sort());
    expect(names).toEqual(
      expect.arrayContaining(['admin_action', 'login_failed', 'login_succeeded', 'sip_ban_created']),
    );
    const stored = (await audit({ limit: 1000 }).expect(200)).body as Array<{ event: string }>;
    expect(names).toEqual(expect.arrayContaining([...new Set(stored.map((event) => event.event))]));
    await t.http.get('/api/admin/audit/events').expect(401);
  });

  it('pages with skip and limit and X-Total-Count', async () => {
    const all = await audit({ limit: 1000 }).expect(200);
    const page = await audit({ skip: 1, limit: 2 }).expect(200);
    expect(page.headers['x-total-count']).toBe(all.headers['x-total-count']);
    expect(page.body).toEqual(all.body.slice(1, 3));
  });

  it('answers 422 for a bad filter or paging, 401 without a token, 403 for a non-admin', async () => {
    const badQueries: Array<Record<string, string | number>> = [
      { actor_id: 'nope' },
      { ip: '999.1.1.1' },
      { since: 'yesterday' },
      { limit: 0 },
      { event: 'DROP TABLE' },
    ];
    for (const query of badQueries) {
      const response = await audit(query).expect(422);
      expect(response.body.statusCode).toBe(422);
    }
    await t.http.get('/api/admin/audit').expect(401);
    const member = newUser();
    const created = await t.http.post('/api/auth/register').send(member).expect(201);
    await t.http.post(`/api/admin/users/${created.body.id as string}/activate`).set('Authorization', `Bearer ${token}`);
    const memberToken = await t.login(member.email, member.password);
    await t.http.get('/api/admin/audit').set('Authorization', `Bearer ${memberToken}`).expect(403);
  });

  it("keeps the user's last_login_at: null before the first login, then the time of the last", async () => {
    const member = newUser();
    const created = await t.http.post('/api/auth/register').send(member).expect(201);
    expect(created.body.last_login_at).toBeNull();
    await t.http.post(`/api/admin/users/${created.body.id as string}/activate`).set('Authorization', `Bearer ${token}`);
    const before = Date.now();
    const memberToken = await t.login(member.email, member.password);
    const me = await t.http.get('/api/auth/me').set('Authorization', `Bearer ${memberToken}`).expect(200);
    expect(Date.parse(me.body.last_login_at as string)).toBeGreaterThanOrEqual(before - 1000);
  });

  it('prunes events older than AUDIT_RETENTION_DAYS', async () => {
    await t.db.query(
      `INSERT INTO audit_events (time, event, details)
       SELECT now() - interval '31 days', 'login_failed', '{}' FROM generate_series(1, 2500)`,
    );
    await t.db.query(
      `INSERT INTO audit_events (time, event, details) VALUES (now() - interval '29 days', 'kept', '{}')`,
    );
    expect(await t.app.get(AuditRetentionService).pruneExpired()).toBe(2500);
    const { rows } = await t.db.query(`SELECT event FROM audit_events WHERE time < now() - interval '1 day'`);
    expect(rows).toEqual([{ event: 'kept' }]);
  });
});
