import { ADMIN, credentials, newUser, startTestApp, TestApp } from '../support/test-app';

describe('Admin user management (real HTTP, real PostgreSQL)', () => {
  let t: TestApp;
  let adminToken: string;
  let adminId: string;

  const auth = (token: string) => ({ Authorization: `Bearer ${token}` });
  const register = async (overrides: Record<string, unknown> = {}) => {
    const body = newUser(overrides);
    const response = await t.http.post('/api/auth/register').send(body).expect(201);
    return { ...body, id: response.body.id as string };
  };
  const activeUser = async () => {
    const user = await register();
    await t.http.post(`/api/admin/users/${user.id}/activate`).set(auth(adminToken)).expect(200);
    return { ...user, token: await t.login(user.email, user.password) };
  };

  beforeAll(async () => {
    t = await startTestApp({ env: { REGISTER_RATE_LIMIT: '1000', LOGIN_RATE_LIMIT: '1000' } });
    adminToken = await t.login(ADMIN.email, ADMIN.password);
    adminId = (await t.http.get('/api/auth/me').set(auth(adminToken)).expect(200)).body.id;
  });
  afterAll(() => t.close());

  it('lets an admin list pending users and activate one, who can then log in (seed test 5)', async () => {
    const user = await register();
    await t.http.post('/api/auth/login').send(credentials(user)).expect(403);
    const pending = await t.http.get('/api/admin/users/inactive').set(auth(adminToken)).expect(200);
    expect(pending.body.map((u: { id: string }) => u.id)).toContain(user.id);
    const activated = await t.http.post(`/api/admin/users/${user.id}/activate`).set(auth(adminToken)).expect(200);
    expect(activated.body).toMatchObject({ id: user.id, is_active: true, status: 'active' });
    await t.http.post('/api/auth/login').send(credentials(user)).expect(200);
  });

  it('refuses every admin route to a regular user with 403 Admin privileges required (seed test 6)', async () => {
    const user = await activeUser();
    const target = await register();
    const calls = [
      t.http.get('/api/admin/users'),
      t.http.get('/api/admin/users/inactive'),
      ...['activate', 'deactivate', 'promote', 'demote'].map((action) =>
        t.http.post(`/api/admin/users/${target.id}/${action}`),
      ),
    ];
    for (const call of calls) {
      const response = await call.set(auth(user.token)).expect(403);
      expect(response.body).toEqual({ statusCode: 403, error: 'Forbidden', message: 'Admin privileges required' });
    }
    const { rows } = await t.db.query('SELECT status, is_superuser FROM users WHERE id = $1', [target.id]);
    expect(rows[0]).toEqual({ status: 'pending', is_superuser: false });
    expect(t.securityEvents()).toContainEqual(
      expect.objectContaining({ event: 'admin_access_denied', user_id: user.id, ip: '127.0.0.1' }),
    );
  });

  it('refuses every admin route without a valid token with 401', async () => {
    for (const call of [t.http.get('/api/admin/users'), t.http.post(`/api/admin/users/${adminId}/promote`)]) {
      await call.expect(401);
    }
    await t.http.get('/api/admin/users').set('Authorization', 'Bearer x.y.z').expect(401);
  });

  describe('listings', () => {
    it('lists all users oldest first with X-Total-Count and paging', async () => {
      await register();
      const all = await t.http.get('/api/admin/users?limit=1000').set(auth(adminToken)).expect(200);
      const total = Number(all.headers['x-total-count']);
      expect(total).toBe(all.body.length);
      const { rows } = await t.db.query('SELECT count(*)::int AS n FROM users');
      expect(total).toBe(rows[0].n);
      const created = all.body.map((u: { created_at: string }) => u.created_at);
      expect([...created].sort()).toEqual(created);
      expect(all.body[0].id).toBe(adminId);
      for (const user of all.body)
        expect(Object.keys(user).sort()).toEqual([
          'created_at',
          'email',
          'email_verified',
          'full_name',
          'id',
          'is_active',
          'is_superuser',
          'last_login_at',
          'locked_until',
          'mfa_enabled',
          'status',
          'updated_at',
        ]);

      const page = await t.http.get('/api/admin/users?skip=1&limit=2').set(auth(adminToken)).expect(200);
      expect(page.body.map((u: { id: string }) => u.id)).toEqual(all.body.slice(1, 3).map((u: { id: string }) => u.id));
      expect(Number(page.headers['x-total-count'])).toBe(total);
    });

    it.each(['skip=-1', 'limit=0', 'limit=1001', 'limit=abc', 'skip=1.5', 'skip=1e20', 'status=active', 'extra=1'])(
      'rejects %s with 422',
      async (query) => {
        const path = query.startsWith('status') ? '/api/admin/users/inactive' : '/api/admin/users';
        const response = await t.http.get(`${path}?${query}`).set(auth(adminToken)).expect(422);
        expect(response.body.statusCode).toBe(422);
      },
    );

    it('tells pending sign-ups from deactivated accounts, oldest first', async () => {
      const first = await register();
      const second = await activeUser();
      await t.http.post(`/api/admin/users/${second.id}/deactivate`).set(auth(adminToken)).expect(200);
      const third = await register();

      const inactive = await t.http.get('/api/admin/users/inactive?limit=1000').set(auth(adminToken)).expect(200);
      const byId = new Map(inactive.body.map((u: { id: string; status: string }) => [u.id, u.status]));
      expect(byId.get(first.id)).toBe('pending');
      expect(byId.get(second.id)).toBe('deactivated');
      expect(byId.get(third.id)).toBe('pending');
      expect(inactive.body.every((u: { is_active: boolean }) => !u.is_active)).toBe(true);
      const created = inactive.body.map((u: { created_at: string }) => u.created_at);
      expect([...created].sort()).toEqual(created);

      const pending = await t.http
        .get('/api/admin/users/inactive?status=pending&limit=1000')
        .set(auth(adminToken))
        .expect(200);
      const pendingIds = pending.body.map((u: { id: string }) => u.id);
      expect(pendingIds).toEqual(expect.arrayContaining([first.id, third.id]));
      expect(pendingIds).not.toContain(second.id);
      expect(Number(pending.headers['x-total-count'])).toBe(pending.body.length);
    });
  });

  describe('actions', () => {
    it.each(['activate', 'deactivate', 'promote', 'demote'])(
      'answers 404 to %s on an unknown or malformed id',
      async (action) => {
        for (const id of ['00000000-0000-4000-8000-000000000000', 'not-a-uuid', '1', "1' OR '1'='1"]) {
          const response = await t.http
            .post(`/api/admin/users/${encodeURIComponent(id)}/${action}`)
            .set(auth(adminToken))
            .expect(404);
          expect(response.body).toEqual({ statusCode: 404, error: 'Not Found', message: 'User not found' });
        }
      },
    );

    it('refuses to deactivate or demote oneself with 400', async () => {
      const deactivate = await t.http.post(`/api/admin/users/${adminId}/deactivate`).set(auth(adminToken)).expect(400);
      expect(deactivate.body).toEqual({
        statusCode: 400,
        error: 'Bad Request',
        message: 'Cannot deactivate your own account',
      });
      const demote = await t.http.post(`/api/admin/users/${adminId}/demote`).set(auth(adminToken)).expect(400);
      expect(demote.body.message).toBe('Cannot demote yourself');
      await t.http.get('/api/auth/me').set(auth(adminToken)).expect(200);
    });

    it('promotes and demotes, refusing to repeat either with 400', async () => {
      const user = await activeUser();
      const promoted = await t.http.post(`/api/admin/users/${user.id}/promote`).set(auth(adminToken)).expect(200);
      expect(promoted.body.is_superuser).toBe(true);
      await t.http.get('/api/admin/users').set(auth(user.token)).expect(200);
      const again = await t.http.post(`/api/admin/users/${user.id}/promote`).set(auth(adminToken)).expect(400);
      expect(again.body.message).toBe('User is already an admin');

      const demoted = await t.http.post(`/api/admin/users/${user.id}/demote`).set(auth(adminToken)).expect(200);
      expect(demoted.body.is_superuser).toBe(false);
      const notAdmin = await t.http.post(`/api/admin/users/${user.id}/demote`).set(auth(adminToken)).expect(400);
      expect(notAdmin.body.message).toBe('User is not an admin');
    });

    it('revokes at once: a token issued before deactivation fails on its very next request (401)', async () => {
      const user = await activeUser();
      await t.http.get('/api/auth/me').set(auth(user.token)).expect(200);
      await t.http.post(`/api/admin/users/${user.id}/deactivate`).set(auth(adminToken)).expect(200);
      await t.http.get('/api/auth/me').set(auth(user.token)).expect(401);
      await t.http.post('/api/auth/login').send(credentials(user)).expect(403);
      const reactivated = await t.http.post(`/api/admin/users/${user.id}/activate`).set(auth(adminToken)).expect(200);
      expect(reactivated.body.status).toBe('active');
      await t.http.get('/api/auth/me').set(auth(user.token)).expect(200);
    });

    it('revokes at once: a demoted admin gets 403 on the very next admin request', async () => {
      const user = await activeUser();
      await t.http.post(`/api/admin/users/${user.id}/promote`).set(auth(adminToken)).expect(200);
      await t.http.get('/api/admin/users').set(auth(user.token)).expect(200);
      await t.http.post(`/api/admin/users/${user.id}/demote`).set(auth(adminToken)).expect(200);
      await t.http.get('/api/admin/users').set(auth(user.token)).expect(403);
      await t.http.get('/api/auth/me').set(auth(user.token)).expect(200);
    });

    it('lets only one of two admins demoting each other at once succeed', async () => {
      const a = await activeUser();
      const b = await activeUser();
      await t.http.post(`/api/admin/users/${a.id}/promote`).set(auth(adminToken)).expect(200);
      await t.http.post(`/api/admin/users/${b.id}/promote`).set(auth(adminToken)).expect(200);
      const [ab, ba] = await Promise.all([
        t.http.post(`/api/admin/users/${b.id}/demote`).set(auth(a.token)),
        t.http.post(`/api/admin/users/${a.id}/demote`).set(auth(b.token)),
      ]);
      expect([ab.status, ba.status].sort()).toEqual([200, 403]);
      const { rows } = await t.db.query('SELECT count(*)::int AS n FROM users WHERE id = ANY($1) AND is_superuser', [
        [a.id, b.id],
      ]);
      expect(rows[0].n).toBe(1);
    });

    it('logs every admin action with actor, target and client IP', async () => {
      const user = await register();
      await t.http.post(`/api/admin/users/${user.id}/activate`).set(auth(adminToken)).expect(200);
      await t.http.post(`/api/admin/users/${user.id}/promote`).set(auth(adminToken)).expect(200);
      const events = t.securityEvents().filter((e) => e.event === 'admin_action' && e.target_id === user.id);
      expect(events).toEqual([
        expect.objectContaining({ action: 'activate', actor_id: adminId, target_email: user.email, ip: '127.0.0.1' }),
        expect.objectContaining({ action: 'promote', actor_id: adminId, target_email: user.email, ip: '127.0.0.1' }),
      ]);
    });
  });
});
