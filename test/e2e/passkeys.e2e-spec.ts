import { PRESENCE_ONLY, SoftwarePasskey } from '../support/software-authenticator';
import { ADMIN, closeAll, credentials, newUser, startTestApp, TestApp } from '../support/test-app';
import { freshStep, totpCode } from '../support/totp';

// freshStep() may wait up to 5 s for the next time step to begin.
jest.setTimeout(30_000);

const PUBLIC_URL = 'https://regshield.example.com';
const auth = (token: string) => ({ Authorization: `Bearer ${token}` });

describe('passkeys over HTTP (real app, real PostgreSQL, a software authenticator)', () => {
  let t: TestApp;

  beforeAll(async () => {
    t = await startTestApp({
      env: {
        PUBLIC_URL,
        REGISTRATION_MODE: 'open',
        REGISTER_RATE_LIMIT: '1000',
        LOGIN_RATE_LIMIT: '1000',
        MFA_DISABLE_RATE_LIMIT: '1000',
        ACCOUNT_LOCKOUT_MAX_FAILURES: '3',
      },
    });
  });
  afterAll(() => t.close());

  async function signUp() {
    const user = newUser();
    const { body } = await t.http.post('/api/auth/register').send(user).expect(201);
    return { user, id: body.id as string, token: await t.login(user.email, user.password) };
  }

  async function addPasskey(token: string, name?: string) {
    const passkey = new SoftwarePasskey(PUBLIC_URL);
    const { body: options } = await t.http.post('/api/auth/passkeys/register/options').set(auth(token)).expect(200);
    const { body } = await t.http
      .post('/api/auth/passkeys/register/verify')
      .set(auth(token))
      .send({ name, credential: passkey.register(options) })
      .expect(201);
    return { passkey, id: body.id as string };
  }

  const signInOptions = async () => (await t.http.post('/api/auth/passkeys/login/options').expect(200)).body;

  it('needs a bearer token to add, list, rename and remove passkeys', async () => {
    await t.http.post('/api/auth/passkeys/register/options').expect(401);
    await t.http.post('/api/auth/passkeys/register/verify').send({}).expect(401);
    await t.http.get('/api/auth/passkeys').expect(401);
    await t.http.patch('/api/auth/passkeys/00000000-0000-4000-8000-000000000000').send({ name: 'x' }).expect(401);
    await t.http.delete('/api/auth/passkeys/00000000-0000-4000-8000-000000000000').expect(401);
    await t.http.get('/api/auth/admin-factor').expect(401);
  });

  it('offers options bound to PUBLIC_URL: a discoverable, user-verified credential, none of the account’s again', async () => {
    const { id, token } = await signUp();
    const { body } = await t.http.post('/api/auth/passkeys/register/options').set(auth(token)).expect(200);
    expect(body.rp).toEqual({ id: 'regshield.example.com', name: 'regshield' });
    expect(body.authenticatorSelection).toMatchObject({ residentKey: 'required', userVerification: 'required' });
    expect(body.attestation).toBe('none');
    expect(body.pubKeyCredParams.map((param: { alg: number }) => param.alg)).toEqual([-8, -7, -257]);
    expect(body.timeout).toBe(120_000);
    expect(Buffer.from(body.user.id, 'base64url').toString('hex')).toBe(id.replace(/-/g, ''));
    expect(body.excludeCredentials).toEqual([]);
    await addPasskey(token);
    const again = await t.http.post('/api/auth/passkeys/register/options').set(auth(token)).expect(200);
    expect(again.body.excludeCredentials).toHaveLength(1);

    const signIn = await signInOptions();
    expect(signIn.rpId).toBe('regshield.example.com');
    expect(signIn.userVerification).toBe('required');
    expect(signIn.allowCredentials).toBeUndefined();
  });

  it('adds, lists, renames and removes a passkey, and signs in with it alone (no e-mail, no TOTP code)', async () => {
    const { user, id, token } = await signUp();
    // A TOTP second factor too: the passkey stands for both factors.
    const setup = await t.http.post('/api/auth/mfa/totp/setup').set(auth(token)).expect(200);
    const step = await freshStep();
    await t.http
      .post('/api/auth/mfa/totp/enable')
      .set(auth(token))
      .send({ code: totpCode(setup.body.secret as string, step) })
      .expect(200);

    const { passkey, id: passkeyId } = await addPasskey(token, '  Laptop  ');
    const listed = await t.http.get('/api/auth/passkeys').set(auth(token)).expect(200);
    expect(listed.body).toEqual([
      { id: passkeyId, name: 'Laptop', created_at: expect.any(String), last_used_at: null, backed_up: false },
    ]);
    const { rows } = await t.db.query('SELECT credential_id, sign_count FROM passkeys WHERE id = $1', [passkeyId]);
    expect(rows[0]).toEqual({ credential_id: passkey.credentialId, sign_count: '0' });

    const signedIn = await t.http
      .post('/api/auth/passkeys/login/verify')
      .set('User-Agent', 'passkey-test/1.0')
      .set('X-Refresh-Cookie', '1')
      .send({ credential: passkey.authenticate(await signInOptions()) })
      .expect(200);
    expect(signedIn.body).toEqual({
      access_token: expect.any(String),
      token_type: 'bearer',
      expires_in: 900,
      refresh_expires_in: expect.any(Number),
    });
    const cookies = signedIn.headers['set-cookie'] as unknown as string[];
    expect(cookies.some((cookie) => cookie.startsWith('regshield_refresh='))).toBe(true);
    expect(cookies.find((cookie) => cookie.startsWith('regshield_device='))).toContain('Path=/api/auth;');
    const me = await t.http
      .get('/api/auth/me')
      .set(auth(signedIn.body.access_token as string))
      .expect(200);
    expect(me.body.id).toBe(id);
    const sessions = await t.http.get('/api/auth/sessions').set(auth(signedIn.body.access_token as string));
    expect(sessions.body.find((session: { current: boolean }) => session.current).user_agent).toBe('passkey-test/1.0');
    expect(t.securityEvents()).toContainEqual(
      expect.objectContaining({ event: 'login_succeeded', user_id: id, method: 'passkey', passkey_id: passkeyId }),
    );

    const renamed = await t.http
      .patch(`/api/auth/passkeys/${passkeyId}`)
      .set(auth(token))
      .send({ name: 'Work laptop' })
      .expect(200);
    expect(renamed.body).toMatchObject({ id: passkeyId, name: 'Work laptop', last_used_at: expect.any(String) });

    await t.http.delete(`/api/auth/passkeys/${passkeyId}`).set(auth(token)).expect(204);
    await t.http.delete(`/api/auth/passkeys/${passkeyId}`).set(auth(token)).expect(404);
    expect((await t.http.get('/api/auth/passkeys').set(auth(token))).body).toEqual([]);
    await t.http
      .post('/api/auth/passkeys/login/verify')
      .send({ credential: passkey.authenticate(await signInOptions()) })
      .expect(401, { statusCode: 401, error: 'Unauthorized', message: 'Passkey sign-in failed' });
    expect(t.securityEvents()).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ event: 'passkey_added', user_id: id, passkey_id: passkeyId, name: 'Laptop' }),
        expect.objectContaining({ event: 'passkey_removed', user_id: id, passkey_id: passkeyId }),
        expect.objectContaining({ event: 'login_failed', method: 'passkey', reason: 'unknown_passkey' }),
      ]),
    );
    // Password login still asks this account for its TOTP code.
    await t.http.post('/api/auth/login').send(credentials(user)).expect(401);
  });

  it('spends each challenge once, and refuses a clone whose counter lags behind', async () => {
    const { id, token } = await signUp();
    const { passkey } = await addPasskey(token);
    const clone = passkey.clone();
    const answer = passkey.authenticate(await signInOptions());
    await t.http.post('/api/auth/passkeys/login/verify').send({ credential: answer }).expect(200);
    await t.http.post('/api/auth/passkeys/login/verify').send({ credential: answer }).expect(401);

    // The clone's counter (1) is not above the one the original reached (1).
    await t.http
      .post('/api/auth/passkeys/login/verify')
      .send({ credential: clone.authenticate(await signInOptions()) })
      .expect(401);
    const failures = t.securityEvents().filter((event) => event.event === 'login_failed' && event.user_id === id);
    expect(failures.map((event) => event.reason)).toEqual(['invalid_challenge', 'counter_not_increased']);
    // The original goes on working.
    await t.http
      .post('/api/auth/passkeys/login/verify')
      .send({ credential: passkey.authenticate(await signInOptions()) })
      .expect(200);
  });

  it('refuses answers from another origin, without user verification, or to a registration challenge', async () => {
    const { token } = await signUp();
    const { passkey } = await addPasskey(token);
    const refused = async (credential: unknown) =>
      t.http.post('/api/auth/passkeys/login/verify').send({ credential }).expect(401);
    await refused(passkey.authenticate(await signInOptions(), { origin: 'https://phishing.example.net' }));
    await refused(passkey.authenticate(await signInOptions(), { flags: PRESENCE_ONLY }));
    const registrationOptions = (await t.http.post('/api/auth/passkeys/register/options').set(auth(token)).expect(200))
      .body;
    await refused(passkey.authenticate({ challenge: registrationOptions.challenge, rpId: 'regshield.example.com' }));
    await refused(passkey.authenticate({ challenge: 'bm90LWlzc3VlZA', rpId: 'regshield.example.com' }));
  });

  it('refuses a registration answering a stale challenge, another user’s, another origin, or a duplicate', async () => {
    const first = await signUp();
    const second = await signUp();
    const options = (await t.http.post('/api/auth/passkeys/register/options').set(auth(first.token)).expect(200)).body;
    const passkey = new SoftwarePasskey(PUBLIC_URL);
    const verify = (token: string, credential: unknown) =>
      t.http.post('/api/auth/passkeys/register/verify').set(auth(token)).send({ credential });

    const foreign = await verify(second.token, passkey.register(options)).expect(422);
    expect(foreign.body.message).toEqual([expect.stringMatching(/^credential answers an unknown, expired or already/)]);
    const phished = await verify(
      first.token,
      new SoftwarePasskey(PUBLIC_URL).register(options, 'https://evil.example'),
    );
    expect(phished.status).toBe(422);
    // That attempt spent the challenge.
    await verify(first.token, passkey.register(options)).expect(422);

    const fresh = (await t.http.post('/api/auth/passkeys/register/options').set(auth(first.token))).body;
    await verify(first.token, passkey.register(fresh)).expect(201);
    const again = (await t.http.post('/api/auth/passkeys/register/options').set(auth(second.token))).body;
    await verify(second.token, passkey.register(again)).expect(409, {
      statusCode: 409,
      error: 'Conflict',
      message: 'This passkey is already registered',
    });
  });

  it('answers 422 for a malformed body and 404 for an unknown, malformed or another user’s passkey', async () => {
    const { token } = await signUp();
    const other = await signUp();
    const { id } = await addPasskey(other.token);
    for (const body of [
      {},
      { credential: 'x' },
      { credential: { id: 'a', rawId: 'a', type: 'public-key', clientExtensionResults: {}, response: {} } },
      { credential: { id: 'a+b', rawId: 'a', type: 'public-key', clientExtensionResults: {}, response: {} } },
    ]) {
      await t.http.post('/api/auth/passkeys/login/verify').send(body).expect(422);
      await t.http.post('/api/auth/passkeys/register/verify').set(auth(token)).send(body).expect(422);
    }
    const valid = new SoftwarePasskey(PUBLIC_URL).authenticate({ challenge: 'eA', rpId: 'regshield.example.com' });
    await t.http
      .post('/api/auth/passkeys/login/verify')
      .send({ credential: { ...valid, extra: 1 } })
      .expect(422);
    await t.http.patch(`/api/auth/passkeys/${id}`).set(auth(token)).send({ name: '' }).expect(422);
    await t.http.patch(`/api/auth/passkeys/${id}`).set(auth(token)).send({ name: 'a\u202Eb' }).expect(422);
    await t.http.patch(`/api/auth/passkeys/${id}`).set(auth(token)).send({ name: 'Mine' }).expect(404);
    await t.http.delete(`/api/auth/passkeys/${id}`).set(auth(token)).expect(404);
    await t.http.delete('/api/auth/passkeys/not-a-uuid').set(auth(token)).expect(404);
    expect((await t.http.get('/api/auth/passkeys').set(auth(other.token))).body).toHaveLength(1);
  });

  it('refuses passkey sign-in to a locked account, and counts refused assertions toward the lock', async () => {
    const { user, token } = await signUp();
    const { passkey } = await addPasskey(token);
    const snapshot = passkey.clone();
    await t.http
      .post('/api/auth/passkeys/login/verify')
      .send({ credential: passkey.authenticate(await signInOptions()) })
      .expect(200);
    for (let attempt = 0; attempt < 3; attempt += 1) {
      // Each a fresh clone of the key as it was before that sign-in: its counter never gets past the stored one.
      await t.http
        .post('/api/auth/passkeys/login/verify')
        .send({ credential: snapshot.clone().authenticate(await signInOptions()) })
        .expect(401);
    }
    const { rows } = await t.db.query('SELECT locked_until FROM users WHERE email = $1', [user.email]);
    expect(rows[0].locked_until).not.toBeNull();
    await t.http
      .post('/api/auth/passkeys/login/verify')
      .send({ credential: passkey.authenticate(await signInOptions()) })
      .expect(401);
    expect(t.securityEvents()).toContainEqual(
      expect.objectContaining({ event: 'login_failed', email: user.email, reason: 'account_locked' }),
    );
  });

  it('answers an inactive account 403 after a valid passkey, as login does', async () => {
    const adminToken = await t.login(ADMIN.email, ADMIN.password);
    const { id, token } = await signUp();
    const { passkey } = await addPasskey(token);
    await t.http.post(`/api/admin/users/${id}/deactivate`).set(auth(adminToken)).expect(200);
    await t.http
      .post('/api/auth/passkeys/login/verify')
      .send({ credential: passkey.authenticate(await signInOptions()) })
      .expect(403, { statusCode: 403, error: 'Forbidden', message: 'Inactive user' });
  });

  it('lets an admin list a user’s passkeys and remove one (a lost device), then every factor at once', async () => {
    const adminToken = await t.login(ADMIN.email, ADMIN.password);
    const admin = auth(adminToken);
    const { user, id, token } = await signUp();
    const setup = await t.http.post('/api/auth/mfa/totp/setup').set(auth(token)).expect(200);
    await t.http
      .post('/api/auth/mfa/totp/enable')
      .set(auth(token))
      .send({ code: totpCode(setup.body.secret as string, await freshStep()) })
      .expect(200);
    const laptop = await addPasskey(token, 'Laptop');
    const phone = await addPasskey(token, 'Phone');
    const other = await signUp();
    const othersPasskey = await addPasskey(other.token, 'Other');

    // Superusers only; unknown and malformed ids are 404.
    await t.http.get(`/api/admin/users/${id}/passkeys`).expect(401);
    await t.http.get(`/api/admin/users/${id}/passkeys`).set(auth(other.token)).expect(403);
    await t.http.delete(`/api/admin/users/${id}/passkeys/${phone.id}`).expect(401);
    await t.http.delete(`/api/admin/users/${id}/passkeys/${phone.id}`).set(auth(other.token)).expect(403);
    await t.http.get('/api/admin/users/00000000-0000-4000-8000-000000000000/passkeys').set(admin).expect(404);
    await t.http.get('/api/admin/users/not-a-uuid/passkeys').set(admin).expect(404);
    await t.http
      .delete(`/api/admin/users/00000000-0000-4000-8000-000000000000/passkeys/${phone.id}`)
      .set(admin)
      .expect(404, { statusCode: 404, error: 'Not Found', message: 'User not found' });
    for (const passkeyId of ['00000000-0000-4000-8000-000000000000', 'not-a-uuid', othersPasskey.id]) {
      await t.http
        .delete(`/api/admin/users/${id}/passkeys/${passkeyId}`)
        .set(admin)
        .expect(404, { statusCode: 404, error: 'Not Found', message: 'Passkey not found' });
    }

    // The admin sees what the user sees of them: never a key or credential id.
    const listed = await t.http.get(`/api/admin/users/${id}/passkeys`).set(admin).expect(200);
    expect(listed.body).toEqual((await t.http.get('/api/auth/passkeys').set(auth(token)).expect(200)).body);
    expect(listed.body.map((passkey: { name: string }) => passkey.name)).toEqual(['Laptop', 'Phone']);
    expect(Object.keys(listed.body[0]).sort()).toEqual(['backed_up', 'created_at', 'id', 'last_used_at', 'name']);

    await t.http.delete(`/api/admin/users/${id}/passkeys/${phone.id}`).set(admin).expect(204);
    await t.http.delete(`/api/admin/users/${id}/passkeys/${phone.id}`).set(admin).expect(404);
    await t.http
      .post('/api/auth/passkeys/login/verify')
      .send({ credential: phone.passkey.authenticate(await signInOptions()) })
      .expect(401);
    // The other factors stay, and so do the sessions (ending them is "sign out everywhere").
    await t.http
      .post('/api/auth/passkeys/login/verify')
      .send({ credential: laptop.passkey.authenticate(await signInOptions()) })
      .expect(200);
    expect((await t.http.post('/api/auth/login').send(credentials(user)).expect(401)).body.mfa_required).toBe(true);
    await t.http.get('/api/auth/me').set(auth(token)).expect(200);
    expect((await t.http.get('/api/auth/passkeys').set(auth(other.token))).body).toHaveLength(1);
    const adminId = (await t.http.get('/api/auth/me').set(admin)).body.id as string;
    expect(t.securityEvents()).toEqual(
      expect.arrayContaining([
        expect.objectContaining({
          event: 'admin_action',
          action: 'remove_passkey',
          actor_id: adminId,
          target_id: id,
          target_email: user.email,
          passkey_id: phone.id,
          name: 'Phone',
        }),
        expect.objectContaining({
          event: 'passkey_removed',
          user_id: id,
          passkey_id: phone.id,
          name: 'Phone',
          actor_id: adminId,
        }),
      ]),
    );

    // Every second factor at once: TOTP, its recovery codes and the remaining passkey.
    await t.http.delete(`/api/admin/users/${id}/mfa`).set(admin).expect(204);
    expect((await t.http.get(`/api/admin/users/${id}/passkeys`).set(admin).expect(200)).body).toEqual([]);
    await t.http
      .post('/api/auth/passkeys/login/verify')
      .send({ credential: laptop.passkey.authenticate(await signInOptions()) })
      .expect(401);
    await t.http.post('/api/auth/login').send(credentials(user)).expect(200);
    expect((await t.http.get('/api/auth/me').set(auth(token)).expect(200)).body.mfa_enabled).toBe(false);
    const stored = await t.db.query(
      `SELECT event, actor_id, details FROM audit_events WHERE target_id = $1 AND event IN ('admin_action', 'mfa_disabled', 'passkey_removed') ORDER BY id`,
      [id],
    );
    expect(stored.rows.slice(-3)).toEqual([
      {
        event: 'admin_action',
        actor_id: adminId,
        details: expect.objectContaining({ action: 'remove_mfa', mfa_was_enabled: true, passkeys_removed: 1 }),
      },
      { event: 'mfa_disabled', actor_id: adminId, details: expect.objectContaining({ email: user.email }) },
      {
        event: 'passkey_removed',
        actor_id: adminId,
        details: expect.objectContaining({ passkey_id: laptop.id, name: 'Laptop' }),
      },
    ]);
    // Nothing left: still 204, and the log says so.
    await t.http.delete(`/api/admin/users/${id}/mfa`).set(admin).expect(204);
    expect(t.securityEvents()).toContainEqual(
      expect.objectContaining({ action: 'remove_mfa', target_id: id, mfa_was_enabled: false, passkeys_removed: 0 }),
    );
  });

  it('is in the OpenAPI document with its answers', async () => {
    const { body } = await t.http.get('/docs-json').expect(200);
    const paths = body.paths as Record<string, Record<string, { operationId: string; responses: object }>>;
    expect(Object.keys(paths['/api/auth/passkeys/login/verify'].post.responses).sort()).toEqual(
      ['200', '401', '403', '422', '429', '503'].sort(),
    );
    expect(Object.keys(paths['/api/auth/passkeys/{id}'].delete.responses).sort()).toEqual(
      ['204', '401', '404', '409', '503'].sort(),
    );
    expect(Object.keys(paths['/api/admin/users/{id}/passkeys'].get.responses).sort()).toEqual(
      ['200', '401', '403', '404', '503'].sort(),
    );
    expect(Object.keys(paths['/api/admin/users/{id}/passkeys/{passkeyId}'].delete.responses).sort()).toEqual(
      ['204', '401', '403', '404', '409', '503'].sort(),
    );
    expect(Object.keys(paths['/api/admin/users/{id}/mfa'].delete.responses).sort()).toEqual(
      ['204', '401', '403', '404', '409', '503'].sort(),
    );
    for (const path of [
      '/api/auth/passkeys/register/options',
      '/api/auth/passkeys/register/verify',
      '/api/auth/passkeys/login/options',
    ]) {
      expect(paths[path].post.operationId).toMatch(/^Passkey/);
    }
    expect(paths['/api/auth/admin-factor'].get.responses).toHaveProperty('200');
  });
});

describe('passkeys across two instances on one database', () => {
  let first: TestApp;
  let second: TestApp;
  beforeAll(async () => {
    const env = { PUBLIC_URL, REGISTRATION_MODE: 'open', LOGIN_RATE_LIMIT: '1000' };
    first = await startTestApp({ env });
    second = await startTestApp({ env, databaseUrl: first.databaseUrl });
  });
  afterAll(() => closeAll(first, second));

  it('checks on one instance the answer to a challenge the other handed out, and accepts it once in all', async () => {
    const user = newUser();
    await first.http.post('/api/auth/register').send(user).expect(201);
    const token = await first.login(user.email, user.password);
    const passkey = new SoftwarePasskey(PUBLIC_URL);
    const registration = (await first.http.post('/api/auth/passkeys/register/options').set(auth(token))).body;
    await second.http
      .post('/api/auth/passkeys/register/verify')
      .set(auth(token))
      .send({ credential: passkey.register(registration) })
      .expect(201);

    const signIn = (await second.http.post('/api/auth/passkeys/login/options').expect(200)).body;
    const answer = passkey.authenticate(signIn);
    await first.http.post('/api/auth/passkeys/login/verify').send({ credential: answer }).expect(200);
    await second.http.post('/api/auth/passkeys/login/verify').send({ credential: answer }).expect(401);
  });
});

describe('passkey sign-in rate limit (real app, real PostgreSQL)', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp({ env: { PUBLIC_URL, LOGIN_RATE_LIMIT: '2', LOGIN_RATE_TTL: '600' } });
  });
  afterAll(() => t.close());

  it('limits both routes per client address as login is, with Retry-After', async () => {
    for (const path of ['/api/auth/passkeys/login/options', '/api/auth/passkeys/login/verify']) {
      for (let attempt = 0; attempt < 2; attempt += 1) {
        expect((await t.http.post(path).send({})).status).not.toBe(429);
      }
      const limited = await t.http.post(path).send({}).expect(429);
      expect(Number(limited.headers['retry-after'])).toBeGreaterThan(0);
    }
  });
});

describe('ADMIN_MFA_REQUIRED over HTTP (real app, real PostgreSQL)', () => {
  const ADMIN_FACTOR_MESSAGE = {
    any: 'Administrators need a second factor: add a passkey or an authenticator app on /account',
    passkey: 'Administrators need a passkey: add one on /account',
  };

  async function addPasskey(t: TestApp, token: string) {
    const passkey = new SoftwarePasskey(PUBLIC_URL);
    const { body: options } = await t.http.post('/api/auth/passkeys/register/options').set(auth(token)).expect(200);
    const { body } = await t.http
      .post('/api/auth/passkeys/register/verify')
      .set(auth(token))
      .send({ credential: passkey.register(options) })
      .expect(201);
    return body.id as string;
  }

  describe('passkey, no grace', () => {
    let t: TestApp;
    beforeAll(async () => {
      t = await startTestApp({
        env: {
          PUBLIC_URL,
          ADMIN_MFA_REQUIRED: 'passkey',
          ADMIN_MFA_GRACE_DAYS: '0',
          LOGIN_RATE_LIMIT: '1000',
          REGISTER_RATE_LIMIT: '1000',
          REGISTRATION_MODE: 'admin_only',
        },
      });
    });
    afterAll(() => t.close());

    it('refuses the admin routes with a 403 that says what to add, until a passkey is added; the last one stays', async () => {
      const token = await t.login(ADMIN.email, ADMIN.password);
      const refused = await t.http.get('/api/admin/users').set(auth(token)).expect(403);
      expect(refused.body).toEqual({ statusCode: 403, error: 'Forbidden', message: ADMIN_FACTOR_MESSAGE.passkey });
      await t.http.get('/api/sip-security/bans').set(auth(token)).expect(403);
      expect(t.securityEvents()).toContainEqual(
        expect.objectContaining({
          event: 'admin_access_denied',
          reason: 'second_factor_required',
          path: '/api/admin/users',
        }),
      );
      const status = await t.http.get('/api/auth/admin-factor').set(auth(token)).expect(200);
      expect(status.body).toEqual({
        required: 'passkey',
        satisfied: false,
        grace_ends_at: expect.any(String),
        blocked: true,
      });
      // An admin's sign-up of others (REGISTRATION_MODE=admin_only) is refused too.
      const signUp = await t.http.post('/api/auth/register').set(auth(token)).send(newUser()).expect(403);
      expect(signUp.body.message).toBe(ADMIN_FACTOR_MESSAGE.passkey);
      // The account's own routes stay open, so that the admin can add one.
      await t.http.get('/api/auth/me').set(auth(token)).expect(200);

      const passkeyId = await addPasskey(t, token);
      await t.http.get('/api/admin/users').set(auth(token)).expect(200);
      await t.http.post('/api/auth/register').set(auth(token)).send(newUser()).expect(201);
      expect((await t.http.get('/api/auth/admin-factor').set(auth(token))).body).toEqual({
        required: 'passkey',
        satisfied: true,
        grace_ends_at: null,
        blocked: false,
      });
      await t.http.delete(`/api/auth/passkeys/${passkeyId}`).set(auth(token)).expect(409, {
        statusCode: 409,
        error: 'Conflict',
        message: 'Cannot remove the last second factor of an administrator (ADMIN_MFA_REQUIRED): add another one first',
      });
      const second = await addPasskey(t, token);
      await t.http.delete(`/api/auth/passkeys/${passkeyId}`).set(auth(token)).expect(204);
      await t.http.delete(`/api/auth/passkeys/${second}`).set(auth(token)).expect(409);
    });

    it('lets an admin take another admin’s last passkey (a lost phone), but not their own through the admin routes', async () => {
      const token = await t.login(ADMIN.email, ADMIN.password);
      const adminId = (await t.http.get('/api/auth/me').set(auth(token))).body.id as string;
      // The admin routes need a passkey of this admin (there may be one already from the test before).
      await addPasskey(t, token);
      const colleague = newUser();
      const { body: created } = await t.http.post('/api/auth/register').set(auth(token)).send(colleague).expect(201);
      const colleagueId = created.id as string;
      await t.http.post(`/api/admin/users/${colleagueId}/promote`).set(auth(token)).expect(200);
      const colleagueToken = await t.login(colleague.email, colleague.password);
      const lost = await addPasskey(t, colleagueToken);
      await t.http.get('/api/admin/users').set(auth(colleagueToken)).expect(200);

      await t.http.delete(`/api/admin/users/${colleagueId}/passkeys/${lost}`).set(auth(token)).expect(204);
      // The colleague now stands as any superuser without a passkey: no grace left here (0 days), so 403.
      const refused = await t.http.get('/api/admin/users').set(auth(colleagueToken)).expect(403);
      expect(refused.body.message).toBe(ADMIN_FACTOR_MESSAGE.passkey);
      await t.http.get('/api/auth/me').set(auth(colleagueToken)).expect(200);
      const replacement = await addPasskey(t, colleagueToken);
      await t.http.get('/api/admin/users').set(auth(colleagueToken)).expect(200);
      await t.http.delete(`/api/admin/users/${colleagueId}/mfa`).set(auth(token)).expect(204);
      expect((await t.http.get(`/api/admin/users/${colleagueId}/passkeys`).set(auth(token))).body).toEqual([]);
      await t.http.get('/api/admin/users').set(auth(colleagueToken)).expect(403);
      expect(t.securityEvents()).toContainEqual(
        expect.objectContaining({ event: 'passkey_removed', passkey_id: replacement, actor_id: adminId }),
      );

      // On their own account an admin is refused the last passkey, as on their own routes.
      const own = (await t.http.get(`/api/admin/users/${adminId}/passkeys`).set(auth(token)).expect(200))
        .body as Array<{
        id: string;
      }>;
      for (const extra of own.slice(1)) {
        await t.http.delete(`/api/admin/users/${adminId}/passkeys/${extra.id}`).set(auth(token)).expect(204);
      }
      const last = own[0].id;
      const conflict = {
        statusCode: 409,
        error: 'Conflict',
        message: 'Cannot remove the last second factor of an administrator (ADMIN_MFA_REQUIRED): add another one first',
      };
      await t.http.delete(`/api/admin/users/${adminId}/passkeys/${last}`).set(auth(token)).expect(409, conflict);
      await t.http.delete(`/api/admin/users/${adminId}/mfa`).set(auth(token)).expect(409, conflict);
      expect((await t.http.get('/api/auth/passkeys').set(auth(token))).body).toEqual([
        expect.objectContaining({ id: last }),
      ]);
      await t.http.get('/api/admin/users').set(auth(token)).expect(200);
    });

    it('leaves non-superusers alone: their factors are theirs to remove', async () => {
      const user = newUser();
      const adminToken = await t.login(ADMIN.email, ADMIN.password);
      await t.http.post('/api/auth/register').set(auth(adminToken)).send(user).expect(201);
      const token = await t.login(user.email, user.password);
      expect((await t.http.get('/api/auth/admin-factor').set(auth(token))).body).toMatchObject({
        required: 'off',
        blocked: false,
      });
      const passkeyId = await addPasskey(t, token);
      await t.http.delete(`/api/auth/passkeys/${passkeyId}`).set(auth(token)).expect(204);
      await t.http.get('/api/admin/users').set(auth(token)).expect(403, {
        statusCode: 403,
        error: 'Forbidden',
        message: 'Admin privileges required',
      });
    });
  });

  describe('any factor, with a grace period', () => {
    let t: TestApp;
    /** Signed in before any test turns TOTP on for the admin: a session outlives that. */
    let adminToken: string;
    beforeAll(async () => {
      t = await startTestApp({
        env: { PUBLIC_URL, ADMIN_MFA_REQUIRED: 'any', ADMIN_MFA_GRACE_DAYS: '7', LOGIN_RATE_LIMIT: '1000' },
      });
      adminToken = await t.login(ADMIN.email, ADMIN.password);
    });
    afterAll(() => t.close());

    it('counts the grace from the first time it saw the admin, then refuses until TOTP is on; TOTP stays on', async () => {
      const token = await t.login(ADMIN.email, ADMIN.password);
      const before = Date.now();
      await t.http.get('/api/admin/users').set(auth(token)).expect(200);
      const status = (await t.http.get('/api/auth/admin-factor').set(auth(token)).expect(200)).body;
      expect(status).toMatchObject({ required: 'any', satisfied: false, blocked: false });
      const graceEnd = Date.parse(status.grace_ends_at as string);
      expect(graceEnd).toBeGreaterThanOrEqual(before - 5000 + 7 * 86_400_000);
      expect(graceEnd).toBeLessThanOrEqual(Date.now() + 7 * 86_400_000);

      await t.db.query(`UPDATE admin_factor_grace SET started_at = now() - interval '8 days'`);
      const refused = await t.http.get('/api/admin/users').set(auth(token)).expect(403);
      expect(refused.body.message).toBe(ADMIN_FACTOR_MESSAGE.any);

      const setup = await t.http.post('/api/auth/mfa/totp/setup').set(auth(token)).expect(200);
      const step = await freshStep();
      const secret = setup.body.secret as string;
      await t.http
        .post('/api/auth/mfa/totp/enable')
        .set(auth(token))
        .send({ code: totpCode(secret, step) })
        .expect(200);
      await t.http.get('/api/admin/users').set(auth(token)).expect(200);
      const disable = await t.http
        .post('/api/auth/mfa/totp/disable')
        .set(auth(token))
        .send({ password: ADMIN.password, code: totpCode(secret, step + 1) })
        .expect(409);
      expect(disable.body.message).toMatch(/^Cannot remove the last second factor of an administrator/);
      const { rows } = await t.db.query('SELECT mfa_enabled FROM users WHERE email = $1', [ADMIN.email]);
      expect(rows[0].mfa_enabled).toBe(true);
    });

    it('gives an admin whose factor another admin removed the grace period, unless it was used up before', async () => {
      const token = adminToken;
      const colleague = newUser();
      const { body: created } = await t.http.post('/api/auth/register').send(colleague).expect(201);
      const colleagueId = created.id as string;
      await t.http.post(`/api/admin/users/${colleagueId}/activate`).set(auth(token)).expect(200);
      await t.http.post(`/api/admin/users/${colleagueId}/promote`).set(auth(token)).expect(200);
      const colleagueToken = await t.login(colleague.email, colleague.password);
      await addPasskey(t, colleagueToken);
      expect((await t.http.get('/api/auth/admin-factor').set(auth(colleagueToken))).body.satisfied).toBe(true);

      const before = Date.now();
      await t.http.delete(`/api/admin/users/${colleagueId}/mfa`).set(auth(token)).expect(204);
      await t.http.get('/api/admin/users').set(auth(colleagueToken)).expect(200);
      const status = (await t.http.get('/api/auth/admin-factor').set(auth(colleagueToken))).body;
      expect(status).toMatchObject({ required: 'any', satisfied: false, blocked: false });
      expect(Date.parse(status.grace_ends_at as string)).toBeGreaterThanOrEqual(before - 5000 + 7 * 86_400_000);

      // The grace never restarts: a factor added and removed again by an admin after it ran out is 403 at once.
      await t.db.query(`UPDATE admin_factor_grace SET started_at = now() - interval '8 days' WHERE user_id = $1`, [
        colleagueId,
      ]);
      await addPasskey(t, colleagueToken);
      await t.http.get('/api/admin/users').set(auth(colleagueToken)).expect(200);
      await t.http.delete(`/api/admin/users/${colleagueId}/mfa`).set(auth(token)).expect(204);
      const refused = await t.http.get('/api/admin/users').set(auth(colleagueToken)).expect(403);
      expect(refused.body.message).toBe(ADMIN_FACTOR_MESSAGE.any);
    });
  });
});
