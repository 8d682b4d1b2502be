import { ADMIN, credentials, newUser, startTestApp, TestApp } from '../support/test-app';

describe('Registration modes (REGISTRATION_MODE, REGISTRATION_ALLOWED_DOMAINS)', () => {
  describe('open', () => {
    let t: TestApp;
    beforeAll(async () => {
      t = await startTestApp({ env: { REGISTRATION_MODE: 'open' } });
    });
    afterAll(() => t.close());

    it('makes new users active at once, never superusers', async () => {
      const body = newUser();
      const response = await t.http.post('/api/auth/register').send(body).expect(201);
      expect(response.body).toMatchObject({ is_active: true, is_superuser: false, status: 'active' });
      await t.http.post('/api/auth/login').send(credentials(body)).expect(200);
    });
  });

  describe('admin_only (seed option B)', () => {
    let t: TestApp;
    let adminToken: string;
    let userToken: string;
    beforeAll(async () => {
      t = await startTestApp({ env: { REGISTRATION_MODE: 'admin_only', REGISTER_RATE_LIMIT: '100' } });
      adminToken = await t.login(ADMIN.email, ADMIN.password);
      const user = newUser();
      await t.http.post('/api/auth/register').set('Authorization', `Bearer ${adminToken}`).send(user).expect(201);
      userToken = await t.login(user.email, user.password);
    });
    afterAll(() => t.close());

    it('refuses anonymous sign-ups with 401 and stores nothing', async () => {
      const body = newUser();
      const response = await t.http.post('/api/auth/register').send(body).expect(401);
      expect(response.body).toMatchObject({ statusCode: 401, error: 'Unauthorized' });
      const { rows } = await t.db.query('SELECT 1 FROM users WHERE email = $1', [body.email]);
      expect(rows).toHaveLength(0);
    });

    it("refuses a non-superuser's token with 403 Admin privileges required", async () => {
      const response = await t.http
        .post('/api/auth/register')
        .set('Authorization', `Bearer ${userToken}`)
        .send(newUser())
        .expect(403);
      expect(response.body.message).toBe('Admin privileges required');
    });

    it('refuses an invalid token with 401', async () => {
      await t.http.post('/api/auth/register').set('Authorization', 'Bearer nope').send(newUser()).expect(401);
    });

    it("lets a superuser's token register users, who are active at once", async () => {
      const response = await t.http
        .post('/api/auth/register')
        .set('Authorization', `Bearer ${adminToken}`)
        .send(newUser())
        .expect(201);
      expect(response.body).toMatchObject({ is_active: true, is_superuser: false, status: 'active' });
    });

    it('logs refused attempts as before the guard: attempt, then rejection or denied access (with the client IP)', async () => {
      const anonymous = newUser();
      await t.http.post('/api/auth/register').send(anonymous).expect(401);
      const byUser = newUser();
      await t.http.post('/api/auth/register').set('Authorization', `Bearer ${userToken}`).send(byUser).expect(403);
      const events = t.securityEvents();
      const attempts = events.filter((event) => event.event === 'registration_attempt');
      expect(attempts).toContainEqual(
        expect.objectContaining({ ip: '127.0.0.1', email: anonymous.email, mode: 'admin_only' }),
      );
      expect(attempts).toContainEqual(
        expect.objectContaining({ ip: '127.0.0.1', email: byUser.email, mode: 'admin_only' }),
      );
      expect(events).toContainEqual(
        expect.objectContaining({ event: 'registration_rejected', ip: '127.0.0.1', reason: 'admin_token_required' }),
      );
      const registerDenied = events.find((event) => event.event === 'admin_access_denied');
      expect(registerDenied).toMatchObject({ ip: '127.0.0.1', method: 'POST', path: '/api/auth/register' });
      // The same fields as the line of any other admin route refused to a non-admin.
      await t.http.get('/api/admin/users').set('Authorization', `Bearer ${userToken}`).expect(403);
      const routeDenied = t
        .securityEvents()
        .filter((event) => event.event === 'admin_access_denied')
        .find((event) => event.path === '/api/admin/users');
      expect(Object.keys(registerDenied!).sort()).toEqual(Object.keys(routeDenied!).sort());
    });

    it('asks for the token before it looks at the body (401, not 422, without one)', async () => {
      await t.http.post('/api/auth/register').send({ email: 'not-an-email' }).expect(401);
    });

    it("logs the superuser as the new user's creator", async () => {
      const body = newUser();
      await t.http.post('/api/auth/register').set('Authorization', `Bearer ${adminToken}`).send(body).expect(201);
      const me = await t.http.get('/api/auth/me').set('Authorization', `Bearer ${adminToken}`).expect(200);
      expect(t.securityEvents()).toContainEqual(
        expect.objectContaining({ event: 'user_created', email: body.email, actor_id: me.body.id, is_active: true }),
      );
    });

    it('still rejects privilege fields from a superuser (422)', async () => {
      await t.http
        .post('/api/auth/register')
        .set('Authorization', `Bearer ${adminToken}`)
        .send(newUser({ is_superuser: true }))
        .expect(422);
    });
  });

  describe('allowed domains (seed option C) with approval', () => {
    let t: TestApp;
    beforeAll(async () => {
      t = await startTestApp({
        env: { REGISTRATION_ALLOWED_DOMAINS: 'company.com,Partner.org', REGISTER_RATE_LIMIT: '100' },
      });
    });
    afterAll(() => t.close());

    it('rejects an e-mail outside the list with 422, logs the reason and stores nothing', async () => {
      const body = newUser({ email: 'someone@gmail.com' });
      const response = await t.http.post('/api/auth/register').send(body).expect(422);
      expect(response.body.message).toEqual(['email domain is not allowed to register']);
      const { rows } = await t.db.query('SELECT 1 FROM users WHERE email = $1', [body.email]);
      expect(rows).toHaveLength(0);
      expect(t.securityEvents()).toContainEqual(
        expect.objectContaining({ event: 'registration_rejected', email: body.email, reason: 'domain_not_allowed' }),
      );
    });

    it('does not take a subdomain or look-alike for an allowed domain', async () => {
      await t.http
        .post('/api/auth/register')
        .send(newUser({ email: 'a@evil-company.com' }))
        .expect(422);
      await t.http
        .post('/api/auth/register')
        .send(newUser({ email: 'a@company.com.evil.net' }))
        .expect(422);
    });

    it('accepts listed domains in any case, as pending users', async () => {
      const response = await t.http
        .post('/api/auth/register')
        .send(newUser({ email: 'X@PARTNER.ORG' }))
        .expect(201);
      expect(response.body).toMatchObject({ email: 'x@partner.org', status: 'pending', is_active: false });
    });
  });

  describe('allowed domains written in Unicode (defect 14)', () => {
    let t: TestApp;
    beforeAll(async () => {
      t = await startTestApp({ env: { REGISTRATION_ALLOWED_DOMAINS: 'Bücher.example', REGISTER_RATE_LIMIT: '100' } });
    });
    afterAll(() => t.close());

    it('compares the ASCII forms: either spelling of the domain may register, others may not', async () => {
      await t.http
        .post('/api/auth/register')
        .send(newUser({ email: 'a@bücher.example' }))
        .expect(201);
      await t.http
        .post('/api/auth/register')
        .send(newUser({ email: 'b@xn--bcher-kva.example' }))
        .expect(201);
      await t.http
        .post('/api/auth/register')
        .send(newUser({ email: 'c@bucher.example' }))
        .expect(422);
    });
  });
});
