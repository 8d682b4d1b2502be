import { base32Decode, freshStep, totpCode } from '../support/totp';
import { ADMIN, credentials, newUser, startTestApp, TestApp, useTestApp } from '../support/test-app';

// freshStep() may wait up to 5 s for the next time step to begin.
jest.setTimeout(15_000);

const auth = (token: string) => ({ Authorization: `Bearer ${token}` });

describe('TOTP second factor (real HTTP, real PostgreSQL)', () => {
  let t: TestApp;
  let adminToken: string;

  beforeAll(async () => {
    t = await startTestApp({
      env: {
        REGISTER_RATE_LIMIT: '1000',
        LOGIN_RATE_LIMIT: '1000',
        MFA_DISABLE_RATE_LIMIT: '1000',
        REGISTRATION_MODE: 'open',
      },
    });
    adminToken = await t.login(ADMIN.email, ADMIN.password);
  });
  afterAll(() => t.close());

  /** A new active user and its token. */
  async function signUp() {
    const user = newUser();
    const { body } = await t.http.post('/api/auth/register').send(user).expect(201);
    return { user, id: body.id as string, token: await t.login(user.email, user.password) };
  }

  /** A new user with TOTP enabled (with the code of the step before `step`); its secret and recovery codes. */
  async function signUpWithTotp(step: number) {
    const account = await signUp();
    const setup = await t.http.post('/api/auth/mfa/totp/setup').set(auth(account.token)).expect(200);
    const secret = setup.body.secret as string;
    const enabled = await t.http
      .post('/api/auth/mfa/totp/enable')
      .set(auth(account.token))
      .send({ code: totpCode(secret, step - 1) })
      .expect(200);
    return { ...account, secret, recoveryCodes: enabled.body.recovery_codes as string[] };
  }

  const login = (user: { email: string; password: string }, otp?: string) =>
    t.http.post('/api/auth/login').send({ ...credentials(user), ...(otp === undefined ? {} : { otp }) });

  it('needs a bearer token for every route', async () => {
    for (const path of ['setup', 'enable', 'disable']) {
      await t.http.post(`/api/auth/mfa/totp/${path}`).send({}).expect(401);
    }
  });

  it('sets up a pending secret (QR code as SVG, otpauth URL) that is stored encrypted and is not active yet', async () => {
    const { user, id, token } = await signUp();
    const setup = await t.http.post('/api/auth/mfa/totp/setup').set(auth(token)).expect(200);
    expect(Object.keys(setup.body).sort()).toEqual(['otpauth_url', 'qr_svg', 'secret']);
    const secret = setup.body.secret as string;
    expect(base32Decode(secret)).toHaveLength(20);
    const url = new URL(setup.body.otpauth_url as string);
    expect(url.protocol).toBe('otpauth:');
    expect(url.host).toBe('totp');
    expect(decodeURIComponent(url.pathname)).toBe(`/regshield:${user.email}`);
    expect(Object.fromEntries(url.searchParams)).toEqual({
      issuer: 'regshield',
      secret,
      algorithm: 'SHA1',
      digits: '6',
      period: '30',
    });
    expect(setup.body.qr_svg).toMatch(/^<svg xmlns="http:\/\/www\.w3\.org\/2000\/svg"[\s\S]*<\/svg>\s*$/);

    const { rows } = await t.db.query('SELECT secret_encrypted, enabled_at FROM totp_credentials WHERE user_id = $1', [
      id,
    ]);
    const stored = rows[0].secret_encrypted as string;
    expect(stored).not.toContain(secret);
    expect(stored).not.toContain(base32Decode(secret).toString('hex'));
    expect(stored).not.toContain(base32Decode(secret).toString('base64url'));
    expect(stored).toMatch(/^v1\.[0-9a-f]{8}\./);
    expect(rows[0].enabled_at).toBeNull();

    // Pending: login still needs the password only.
    expect((await login(user)).status).toBe(200);
    const me = await t.http.get('/api/auth/me').set(auth(token)).expect(200);
    expect(me.body.mfa_enabled).toBe(false);
  });

  it('replaces a pending setup with a new one, refuses a wrong code (422), and enables with a right one', async () => {
    const step = await freshStep();
    const { user, id, token } = await signUp();
    const first = (await t.http.post('/api/auth/mfa/totp/setup').set(auth(token)).expect(200)).body.secret as string;
    const second = (await t.http.post('/api/auth/mfa/totp/setup').set(auth(token)).expect(200)).body.secret as string;
    expect(second).not.toBe(first);

    const enable = (code: string) => t.http.post('/api/auth/mfa/totp/enable').set(auth(token)).send({ code });
    const wrong = await enable(totpCode(first, step));
    expect(wrong.status).toBe(422);
    expect(wrong.body).toEqual({
      statusCode: 422,
      error: 'Unprocessable Entity',
      message: ['code is not a valid authentication code'],
    });
    expect((await enable('not-a-code')).status).toBe(422);
    expect((await enable(totpCode(second, step + 2))).status).toBe(422); // beyond the one step of drift
    await enable('').expect(422);
    await t.http.post('/api/auth/mfa/totp/enable').set(auth(token)).send({ code: '123456', extra: 1 }).expect(422);

    const enabled = await enable(totpCode(second, step)).expect(200);
    const codes = enabled.body.recovery_codes as string[];
    expect(codes).toHaveLength(10);
    expect(new Set(codes).size).toBe(10);
    for (const code of codes) expect(code).toMatch(/^[a-z2-7]{5}(-[a-z2-7]{5}){3}-[a-z2-7]{6}$/);

    expect((await t.http.get('/api/auth/me').set(auth(token)).expect(200)).body.mfa_enabled).toBe(true);
    const stored = await t.db.query('SELECT encode(code_hash, $2) AS hash FROM mfa_recovery_codes WHERE user_id = $1', [
      id,
      'hex',
    ]);
    expect(stored.rows).toHaveLength(10);
    expect(JSON.stringify(stored.rows)).not.toMatch(new RegExp(codes.map((code) => code.replace(/-/g, '')).join('|')));
    expect(t.securityEvents()).toContainEqual(
      expect.objectContaining({ event: 'mfa_enabled', user_id: id, email: user.email }),
    );

    // Enabled: no new setup, no second enable (409).
    const again = await t.http.post('/api/auth/mfa/totp/setup').set(auth(token)).expect(409);
    expect(again.body).toEqual({ statusCode: 409, error: 'Conflict', message: 'Second factor already enabled' });
    await enable(totpCode(second, step + 1)).expect(409);
  });

  it('refuses enable without a setup (409)', async () => {
    const { token } = await signUp();
    const response = await t.http.post('/api/auth/mfa/totp/enable').set(auth(token)).send({ code: '123456' });
    expect(response.status).toBe(409);
    expect(response.body.message).toBe('No second factor setup pending: call setup first');
  });

  it('asks for the second factor at login, refuses a wrong or replayed code, and takes each recovery code once', async () => {
    const step = await freshStep();
    const { user, id, secret, recoveryCodes } = await signUpWithTotp(step);

    const withoutOtp = await login(user);
    expect(withoutOtp.status).toBe(401);
    expect(withoutOtp.body).toEqual({
      statusCode: 401,
      error: 'Unauthorized',
      message: 'Second factor required',
      mfa_required: true,
    });

    const wrongOtp = await login(user, totpCode(secret, step + 5));
    expect(wrongOtp.status).toBe(401);
    expect(wrongOtp.body).toEqual({ statusCode: 401, error: 'Unauthorized', message: 'Invalid second factor' });
    expect(t.securityEvents()).toContainEqual(
      expect.objectContaining({ event: 'login_failed', user_id: id, reason: 'wrong_second_factor' }),
    );

    // A wrong password is answered as always, whatever the otp: the second factor is never asked first.
    const wrongPassword = await t.http
      .post('/api/auth/login')
      .send({ email: user.email, password: 'Wrong1234', otp: totpCode(secret, step) });
    expect(wrongPassword.body).toEqual({
      statusCode: 401,
      error: 'Unauthorized',
      message: 'Incorrect email or password',
    });

    // The code that enabled the factor (step - 1) is spent already.
    expect((await login(user, totpCode(secret, step - 1))).status).toBe(401);

    const right = await login(user, totpCode(secret, step)).expect(200);
    expect(right.body.access_token).toEqual(expect.any(String));
    const replay = await login(user, totpCode(secret, step));
    expect(replay.status).toBe(401);
    expect(replay.body.message).toBe('Invalid second factor');

    // A recovery code, retyped in upper case with spaces for dashes, works once.
    const retyped = recoveryCodes[0].toUpperCase().replace(/-/g, ' ');
    await login(user, retyped).expect(200);
    expect((await login(user, recoveryCodes[0])).status).toBe(401);
    await login(user, recoveryCodes[1]).expect(200);
    const used = await t.db.query(
      'SELECT count(*)::int AS n FROM mfa_recovery_codes WHERE user_id = $1 AND used_at IS NOT NULL',
      [id],
    );
    expect(used.rows[0].n).toBe(2);
  });

  it('accepts a code only once when two logins race with it', async () => {
    const step = await freshStep();
    const { user, secret } = await signUpWithTotp(step);
    const code = totpCode(secret, step);
    const responses = await Promise.all(Array.from({ length: 6 }, () => login(user, code)));
    expect(responses.map((response) => response.status).sort()).toEqual([200, 401, 401, 401, 401, 401]);
  });

  it('disables with the password and a code (422 for either wrong), after which login needs the password only', async () => {
    const step = await freshStep();
    const { user, id, token, secret, recoveryCodes } = await signUpWithTotp(step);
    const disable = (body: Record<string, unknown>) =>
      t.http.post('/api/auth/mfa/totp/disable').set(auth(token)).send(body);

    const wrongPassword = await disable({ password: 'Wrong1234', code: totpCode(secret, step) });
    expect(wrongPassword.status).toBe(422);
    expect(wrongPassword.body.message).toEqual(['password is incorrect']);
    const wrongCode = await disable({ password: user.password, code: totpCode(secret, step + 5) });
    expect(wrongCode.status).toBe(422);
    expect(wrongCode.body.message).toEqual(['code is not a valid authentication or recovery code']);
    await disable({ password: user.password }).expect(422);

    await disable({ password: user.password, code: recoveryCodes[3] }).expect(204);
    expect((await t.http.get('/api/auth/me').set(auth(token)).expect(200)).body.mfa_enabled).toBe(false);
    await login(user).expect(200);
    const left = await t.db.query(
      `SELECT (SELECT count(*) FROM totp_credentials WHERE user_id = $1)::int AS credentials,
              (SELECT count(*) FROM mfa_recovery_codes WHERE user_id = $1)::int AS codes`,
      [id],
    );
    expect(left.rows[0]).toEqual({ credentials: 0, codes: 0 });
    expect(t.securityEvents()).toContainEqual(expect.objectContaining({ event: 'mfa_disabled', user_id: id }));

    const notEnabled = await disable({ password: user.password, code: totpCode(secret, step + 1) });
    expect(notEnabled.status).toBe(409);
    expect(notEnabled.body.message).toBe('Second factor not enabled');
    // The recovery codes went with the factor.
    expect((await login(user, recoveryCodes[4])).status).toBe(200);
  });

  it('lets an admin remove a second factor (lost phone): 204, logged; 404 unknown; 403 for a non-admin', async () => {
    const step = await freshStep();
    const { user, id, token } = await signUpWithTotp(step);
    const other = await signUp();

    await t.http.delete(`/api/admin/users/${id}/mfa`).set(auth(other.token)).expect(403);
    await t.http.delete(`/api/admin/users/${id}/mfa`).expect(401);
    await t.http.delete('/api/admin/users/00000000-0000-4000-8000-000000000000/mfa').set(auth(adminToken)).expect(404);
    await t.http.delete('/api/admin/users/not-a-uuid/mfa').set(auth(adminToken)).expect(404);

    expect((await login(user)).status).toBe(401);
    await t.http.delete(`/api/admin/users/${id}/mfa`).set(auth(adminToken)).expect(204);
    await login(user).expect(200);
    expect((await t.http.get('/api/auth/me').set(auth(token)).expect(200)).body.mfa_enabled).toBe(false);
    const adminUser = await t.http.get('/api/admin/users?limit=1000').set(auth(adminToken)).expect(200);
    expect(adminUser.body.find((u: { id: string }) => u.id === id).mfa_enabled).toBe(false);
    expect(t.securityEvents()).toContainEqual(
      expect.objectContaining({
        event: 'admin_action',
        action: 'remove_mfa',
        target_id: id,
        mfa_was_enabled: true,
        passkeys_removed: 0,
      }),
    );
    expect(t.securityEvents()).toContainEqual(expect.objectContaining({ event: 'mfa_disabled', user_id: id }));
    // Idempotent: nothing left to remove is still 204.
    await t.http.delete(`/api/admin/users/${id}/mfa`).set(auth(adminToken)).expect(204);
  });
});

describe('Turning off the second factor is throttled per client address and per account', () => {
  const t = useTestApp({
    env: {
      TRUST_PROXY: 'loopback',
      MFA_DISABLE_RATE_LIMIT: '2',
      MFA_DISABLE_RATE_TTL: '600',
      REGISTRATION_MODE: 'open',
    },
  });

  async function signUp() {
    const user = newUser();
    await t.http.post('/api/auth/register').send(user).expect(201);
    return { user, token: await t.login(user.email, user.password) };
  }

  const disable = (token: string, from: string) =>
    t.http
      .post('/api/auth/mfa/totp/disable')
      .set(auth(token))
      .set('X-Forwarded-For', from)
      .send({ password: 'Wrong1234', code: '000000' });

  it('answers 429 with Retry-After past the limit of an address or of an account, and logs it', async () => {
    const first = await signUp();
    const second = await signUp();
    // Without a second factor the answer is 409; the requests count all the same.
    expect((await disable(first.token, '198.51.100.1')).status).toBe(409);
    expect((await disable(first.token, '198.51.100.1')).status).toBe(409);

    const overAddress = await disable(second.token, '198.51.100.1');
    expect(overAddress.status).toBe(429);
    expect(Number(overAddress.headers['retry-after'])).toBeGreaterThan(0);
    expect(Number(overAddress.headers['retry-after'])).toBeLessThanOrEqual(600);
    expect(overAddress.body).toEqual({
      statusCode: 429,
      error: 'Too Many Requests',
      message: 'Too many requests, try again later',
    });

    // Another address does not buy the account a fresh limit.
    expect((await disable(first.token, '198.51.100.2')).status).toBe(429);
    // Another account from another address is not affected.
    expect((await disable(second.token, '198.51.100.3')).status).toBe(409);

    const hits = t
      .securityEvents()
      .filter((e) => e.event === 'rate_limit_hit' && e.path === '/api/auth/mfa/totp/disable');
    expect(hits.map((e) => [e.ip, e.counted_by])).toEqual([
      ['198.51.100.1', 'ip'],
      ['198.51.100.2', 'account'],
    ]);
  });
});
