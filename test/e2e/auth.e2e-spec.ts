import { createHmac } from 'node:crypto';
import { ADMIN, credentials, newUser, startTestApp, TEST_JWT_SECRET, TestApp } from '../support/test-app';

describe('Auth (real HTTP, real PostgreSQL)', () => {
  let t: TestApp;

  beforeAll(async () => {
    // Limits high enough that this file's many sign-ups are not throttled; rate limits have their own file.
    t = await startTestApp({ env: { REGISTER_RATE_LIMIT: '1000', LOGIN_RATE_LIMIT: '1000' } });
  });
  afterAll(() => t.close());

  describe('POST /api/auth/register', () => {
    it('creates a pending, non-admin user and never returns a password or hash (seed test 4)', async () => {
      const body = newUser();
      const response = await t.http.post('/api/auth/register').send(body).expect(201);
      expect(response.body).toEqual({
        id: expect.any(String),
        email: body.email,
        full_name: body.full_name,
        is_active: false,
        is_superuser: false,
        status: 'pending',
        created_at: expect.any(String),
        updated_at: expect.any(String),
        last_login_at: null,
        email_verified: false,
        locked_until: null,
        mfa_enabled: false,
      });
      expect(JSON.stringify(response.body)).not.toMatch(/password|hash|argon/i);
      const { rows } = await t.db.query('SELECT hashed_password FROM users WHERE email = $1', [body.email]);
      expect(rows[0].hashed_password).toMatch(/^\$argon2id\$v=19\$m=19456,p=1,t=2\$/);
    });

    it('trims and lower-cases the e-mail, and treats case variants as taken (409)', async () => {
      const response = await t.http
        .post('/api/auth/register')
        .send(newUser({ email: '  Mixed.Case@Example.COM ' }))
        .expect(201);
      expect(response.body.email).toBe('mixed.case@example.com');
      const duplicate = await t.http
        .post('/api/auth/register')
        .send(newUser({ email: 'MIXED.case@example.com' }))
        .expect(409);
      expect(duplicate.body).toEqual({ statusCode: 409, error: 'Conflict', message: 'Email already registered' });
    });

    it('lets exactly one of many concurrent sign-ups with the same e-mail through', async () => {
      const email = `race-${Date.now()}@example.com`;
      const responses = await Promise.all(
        Array.from({ length: 8 }, () => t.http.post('/api/auth/register').send(newUser({ email }))),
      );
      const statuses = responses.map((response) => response.status).sort();
      expect(statuses).toEqual([201, 409, 409, 409, 409, 409, 409, 409]);
      const { rows } = await t.db.query('SELECT count(*)::int AS n FROM users WHERE email = $1', [email]);
      expect(rows[0].n).toBe(1);
    });

    it.each([
      ['password', 'password must contain an upper-case letter'],
      ['Short1a', 'password must be at least 8 characters long'],
      ['ALLUPPER123', 'password must contain a lower-case letter'],
      ['NoDigitsHere', 'password must contain a digit'],
      [`Aa1${'x'.repeat(198)}`, 'password must be at most 200 characters long'],
    ])('rejects the weak password %s with 422 and stores nothing (seed test 2)', async (password, message) => {
      const body = newUser({ password });
      const response = await t.http.post('/api/auth/register').send(body).expect(422);
      expect(response.body.statusCode).toBe(422);
      expect(response.body.error).toBe('Unprocessable Entity');
      expect(response.body.message.join(' ')).toContain(message);
      const { rows } = await t.db.query('SELECT 1 FROM users WHERE email = $1', [body.email]);
      expect(rows).toHaveLength(0);
    });

    it.each([
      [{ is_superuser: true }],
      [{ is_active: true }],
      [{ status: 'active' }],
      [{ id: '00000000-0000-0000-0000-000000000000' }],
      [{ role: 'admin' }],
    ])('rejects the extra field %j with 422 and never applies it (seed test 3)', async (extra) => {
      const body = newUser(extra);
      const response = await t.http.post('/api/auth/register').send(body).expect(422);
      expect(response.body.message.join(' ')).toContain(`property ${Object.keys(extra)[0]} should not exist`);
      const { rows } = await t.db.query('SELECT 1 FROM users WHERE email = $1', [body.email]);
      expect(rows).toHaveLength(0);
    });

    it.each([
      ['a missing email', { email: undefined }],
      ['an invalid email', { email: 'not-an-email' }],
      ['a numeric password', { password: 12345678 }],
      ['an empty full_name', { full_name: '   ' }],
      ['a missing full_name', { full_name: undefined }],
      ['an over-long full_name', { full_name: 'x'.repeat(201) }],
      ['an array email', { email: ['a@example.com'] }],
      ['a NUL character in full_name (PostgreSQL text cannot hold it)', { full_name: 'a\u0000b' }],
    ])('rejects %s with 422', async (_, override) => {
      await t.http.post('/api/auth/register').send(newUser(override)).expect(422);
    });

    it('rejects a body that is not an object with 4xx', async () => {
      const response = await t.http.post('/api/auth/register').send([newUser()]);
      expect(response.status).toBe(422);
      await t.http.post('/api/auth/register').set('Content-Type', 'application/json').send('"text"').expect(422);
      await t.http.post('/api/auth/register').set('Content-Type', 'application/json').send('null').expect(422);
    });
  });

  describe('POST /api/auth/login', () => {
    let active: { email: string; password: string };
    let pending: { email: string; password: string };

    beforeAll(async () => {
      const adminToken = await t.login(ADMIN.email, ADMIN.password);
      active = newUser();
      const created = await t.http.post('/api/auth/register').send(active).expect(201);
      await t.http
        .post(`/api/admin/users/${created.body.id}/activate`)
        .set('Authorization', `Bearer ${adminToken}`)
        .expect(200);
      pending = newUser();
      await t.http.post('/api/auth/register').send(pending).expect(201);
    });

    it('returns a bearer token that works on /me', async () => {
      const response = await t.http.post('/api/auth/login').send(credentials(active)).expect(200);
      expect(response.body).toEqual({
        access_token: expect.any(String),
        token_type: 'bearer',
        expires_in: 900,
        refresh_token: expect.any(String),
        refresh_expires_in: expect.any(Number),
      });
      const me = await t.http
        .get('/api/auth/me')
        .set('Authorization', `Bearer ${response.body.access_token}`)
        .expect(200);
      expect(me.body.email).toBe(active.email);
      expect(me.body.status).toBe('active');
    });

    it('accepts the e-mail in another case', async () => {
      await t.http
        .post('/api/auth/login')
        .send({ ...credentials(active), email: ` ${active.email.toUpperCase()} ` })
        .expect(200);
    });

    it('answers an unknown e-mail and a wrong password with the same 401 body', async () => {
      const unknown = await t.http.post('/api/auth/login').send({ email: 'nobody@example.com', password: 'Test1234' });
      const wrong = await t.http.post('/api/auth/login').send({ email: active.email, password: 'Wrong1234' });
      expect(unknown.status).toBe(401);
      expect(wrong.status).toBe(401);
      expect(unknown.body).toEqual({ statusCode: 401, error: 'Unauthorized', message: 'Incorrect email or password' });
      expect(wrong.body).toEqual(unknown.body);
    });

    it('takes similar time for an unknown e-mail and a wrong password (both verify one argon2 hash)', async () => {
      const time = async (body: object) => {
        const started = process.hrtime.bigint();
        await t.http.post('/api/auth/login').send(body).expect(401);
        return Number(process.hrtime.bigint() - started) / 1e6;
      };
      const median = (values: number[]) => values.sort((a, b) => a - b)[Math.floor(values.length / 2)];
      const unknown: number[] = [];
      const wrong: number[] = [];
      for (let i = 0; i < 7; i++) {
        unknown.push(await time({ email: `ghost${i}@example.com`, password: 'Test1234' }));
        wrong.push(await time({ email: active.email, password: 'Wrong1234' }));
      }
      // Not a speed test: without the dummy hash an unknown e-mail answers in ~1 ms instead of ~30 ms.
      const ratio = median(unknown) / median(wrong);
      expect(ratio).toBeGreaterThan(0.5);
      expect(ratio).toBeLessThan(2);
    });

    it('answers 403 Inactive user only when the password was right (seed test 4)', async () => {
      const right = await t.http.post('/api/auth/login').send(credentials(pending)).expect(403);
      expect(right.body).toEqual({ statusCode: 403, error: 'Forbidden', message: 'Inactive user' });
      const wrong = await t.http
        .post('/api/auth/login')
        .send({ ...credentials(pending), password: 'Wrong1234' })
        .expect(401);
      expect(wrong.body.message).toBe('Incorrect email or password');
    });

    it.each([
      [{ email: 'a@example.com' }],
      [{ password: 'Test1234' }],
      [{ email: 'a@example.com', password: 'Test1234', extra: 1 }],
      [{ email: 1, password: 'Test1234' }],
      [{ email: 'a\u0000@example.com', password: 'Test1234' }],
    ])('rejects the malformed body %j with 422', async (body) => {
      await t.http.post('/api/auth/login').send(body).expect(422);
    });
  });

  describe('GET /api/auth/me', () => {
    it.each([
      ['no header', undefined],
      ['a malformed header', 'Token abc'],
      ['a garbage token', 'Bearer not.a.jwt'],
      [
        'a token signed with another secret',
        'Bearer eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiIwMDAwMDAwMC0wMDAwLTAwMDAtMDAwMC0wMDAwMDAwMDAwMDAiLCJpYXQiOjE3MDAwMDAwMDB9.Xo4o0rV8nQ9yH6yq0v4o8p0Yq1v6yX2l5nE2jv3w0kM',
      ],
    ])('answers 401 with %s', async (_, header) => {
      const call = t.http.get('/api/auth/me');
      if (header) call.set('Authorization', header);
      const response = await call.expect(401);
      expect(response.body).toMatchObject({ statusCode: 401, error: 'Unauthorized' });
    });

    it('answers 401 for an expired token', async () => {
      const expired = await startTestApp({ databaseUrl: t.databaseUrl, env: { JWT_EXPIRES_IN: '1' } });
      try {
        const token = await expired.login(ADMIN.email, ADMIN.password);
        await new Promise((resolve) => setTimeout(resolve, 2100));
        await expired.http.get('/api/auth/me').set('Authorization', `Bearer ${token}`).expect(401);
      } finally {
        await expired.db.end();
        await expired.app.close();
      }
    });
  });

  describe('tokens with missing or malformed claims (issue 6, defect 12)', () => {
    /** An HS256 token of exactly these claims, signed with the app's own secret (no library to refuse odd claims). */
    const sign = (claims: object) => {
      const encode = (part: object) => Buffer.from(JSON.stringify(part)).toString('base64url');
      const unsigned = `${encode({ alg: 'HS256', typ: 'JWT' })}.${encode(claims)}`;
      return `${unsigned}.${createHmac('sha256', TEST_JWT_SECRET).update(unsigned).digest('base64url')}`;
    };
    const inAMinute = () => Math.floor(Date.now() / 1000) + 60;
    let adminId: string;
    /** The session of a real login: every accepted token names one. */
    let sid: string;

    beforeAll(async () => {
      const token = await t.login(ADMIN.email, ADMIN.password);
      adminId = (await t.http.get('/api/auth/me').set('Authorization', `Bearer ${token}`).expect(200)).body.id;
      sid = (JSON.parse(Buffer.from(token.split('.')[1], 'base64url').toString()) as { sid: string }).sid;
    });

    it('accepts a token of the same shape that carries exp (the control case)', async () => {
      const token = sign({ sub: adminId, sid, exp: inAMinute() });
      await t.http.get('/api/auth/me').set('Authorization', `Bearer ${token}`).expect(200);
    });

    it('refuses a token without sid (no session, as tokens from before sessions were): 401', async () => {
      const token = sign({ sub: adminId, exp: inAMinute() });
      const response = await t.http.get('/api/auth/me').set('Authorization', `Bearer ${token}`).expect(401);
      expect(response.body).toEqual({ statusCode: 401, error: 'Unauthorized', message: 'Invalid or expired token' });
    });

    it('refuses a token without exp, which would never expire (401)', async () => {
      const token = sign({ sub: adminId, sid });
      const response = await t.http.get('/api/auth/me').set('Authorization', `Bearer ${token}`).expect(401);
      expect(response.body).toEqual({ statusCode: 401, error: 'Unauthorized', message: 'Invalid or expired token' });
      await t.http.get('/api/admin/users').set('Authorization', `Bearer ${token}`).expect(401);
    });

    it.each([
      ['a sub that is not a UUID', () => ({ sub: 'not-a-uuid', exp: inAMinute() })],
      ['a numeric sub', () => ({ sub: 12345, exp: inAMinute() })],
      ['an object sub', () => ({ sub: { id: 'x' }, exp: inAMinute() })],
      ['a string exp', () => ({ sub: adminId, exp: String(inAMinute()) })],
      ['no sub', () => ({ exp: inAMinute() })],
    ])('answers a token with %s with 401, never 500', async (_, claims) => {
      const token = sign(claims());
      const response = await t.http.get('/api/auth/me').set('Authorization', `Bearer ${token}`);
      expect(response.status).toBe(401);
    });
  });

  describe('equivalent and look-alike e-mails (issue 6, defect 14)', () => {
    it('makes a Unicode domain and its ASCII form one account (409 on the second), and logs in with either', async () => {
      const user = newUser({ email: `idn-${Date.now()}@bücher.example` });
      const created = await t.http.post('/api/auth/register').send(user).expect(201);
      const ascii = user.email.replace('bücher', 'xn--bcher-kva');
      expect(created.body.email).toBe(ascii);
      await t.http
        .post('/api/auth/register')
        .send(newUser({ email: ascii }))
        .expect(409);
      await t.http
        .post('/api/auth/register')
        .send(newUser({ email: user.email.toUpperCase() }))
        .expect(409);
      const token = await t.login(ADMIN.email, ADMIN.password);
      await t.http
        .post(`/api/admin/users/${created.body.id}/activate`)
        .set('Authorization', `Bearer ${token}`)
        .expect(200);
      await t.http.post('/api/auth/login').send(credentials(user)).expect(200);
      await t.http
        .post('/api/auth/login')
        .send({ ...credentials(user), email: ascii })
        .expect(200);
    });

    it('stores a composed and a decomposed é as one address (NFC)', async () => {
      const local = `jos${Date.now()}`;
      await t.http
        .post('/api/auth/register')
        .send(newUser({ email: `${local}\u00e9@example.com` }))
        .expect(201);
      await t.http
        .post('/api/auth/register')
        .send(newUser({ email: `${local}e\u0301@example.com` }))
        .expect(409);
    });

    it('never stores "i" + combining dot: ADMİN@EXAMPLE.COM is the admin address, taken (409)', async () => {
      const response = await t.http
        .post('/api/auth/register')
        .send(newUser({ email: 'ADMİN@EXAMPLE.COM' }))
        .expect(409);
      expect(response.body.message).toBe('Email already registered');
      const { rows } = await t.db.query(`SELECT email FROM users WHERE email LIKE '%' || chr(775) || '%'`);
      expect(rows).toEqual([]);
    });

    it.each([
      ['a Cyrillic а in a Latin local part', 'аdmin@example.com', 'аdmin'],
      ['a Cyrillic а in a Latin domain label', 'someone@exаmple.com', 'exаmple'],
      ['a Cyrillic о in a Latin label, in punycode', 'someone@xn--gogle-jye.com', 'gоogle'],
      ['a Greek α in a Latin local part', 'αdmin@example.com', 'αdmin'],
    ])('refuses %s with 422 and stores nothing', async (_, email, label) => {
      const count = async () => (await t.db.query('SELECT count(*)::int AS n FROM users')).rows[0].n as number;
      const before = await count();
      const response = await t.http.post('/api/auth/register').send(newUser({ email })).expect(422);
      expect(response.body.message).toContainEqual(expect.stringContaining(`mix scripts within "${label}"`));
      expect(await count()).toBe(before);
    });

    it.each([
      [
        'a quoted local part that nodemailer would mail elsewhere',
        '"<a@evil.example>"@example.com',
        'quoted local part',
      ],
      ['CR/LF', 'someone@example.com\r\nBcc: x@evil.example', 'control characters'],
      ['a TAB', 'some\tone@example.com', 'control characters'],
      ['a NUL', 'some\u0000one@example.com', 'control characters'],
      ['a bidi override', 'a\u202Eb@example.com', 'invisible formatting characters'],
    ])(
      'refuses %s with 422 wherever an address enters (sign-up, login, forgot, resend), storing nothing',
      async (_, email, reason) => {
        const count = async () =>
          (await t.db.query('SELECT (SELECT count(*) FROM users) + (SELECT count(*) FROM account_email_requests) AS n'))
            .rows[0].n as string;
        const before = await count();
        const attempts = [
          t.http.post('/api/auth/register').send(newUser({ email })),
          t.http.post('/api/auth/login').send({ email, password: 'Valid1234' }),
          t.http.post('/api/auth/password/forgot').send({ email }),
          t.http.post('/api/auth/verify-email/resend').send({ email }),
        ];
        for (const response of await Promise.all(attempts)) {
          expect(response.status).toBe(422);
          expect(response.body.message).toContainEqual(expect.stringContaining(reason));
        }
        expect(await count()).toBe(before);
      },
    );

    it.each([
      ['CR/LF', 'Eve\r\nBcc: x@evil.example'],
      ['a NUL', 'Eve\u0000'],
      ['a bidi override', 'Eve \u202Egnp.exe'],
      ['a bidi isolate', 'Eve\u2066x\u2069'],
    ])('refuses a full_name with %s (it reaches the plain text of e-mails) with 422', async (_, fullName) => {
      const user = newUser({ full_name: fullName });
      const response = await t.http.post('/api/auth/register').send(user).expect(422);
      expect(response.body.message).toEqual([
        'full_name must not contain control characters or bidirectional overrides',
      ]);
      const { rows } = await t.db.query('SELECT 1 FROM users WHERE email = $1', [user.email]);
      expect(rows).toEqual([]);
    });

    it('accepts a full_name with the joiners and marks real names use', async () => {
      const response = await t.http
        .post('/api/auth/register')
        .send(newUser({ full_name: 'نام\u200Cخانوادگی Zoë' }))
        .expect(201);
      expect(response.body.full_name).toBe('نام\u200Cخانوادگی Zoë');
    });

    it('accepts an address written in one other script', async () => {
      const response = await t.http
        .post('/api/auth/register')
        .send(newUser({ email: `иван${Date.now()}@пример.рф` }))
        .expect(201);
      expect(response.body.email).toMatch(/^иван\d+@xn--e1afmkfd\.xn--p1ai$/);
    });
  });

  describe('security log', () => {
    it('records attempts, creations and failures with the client IP, and never a password or token', async () => {
      const body = newUser({ password: 'Secret9876' });
      await t.http.post('/api/auth/register').send(body).expect(201);
      await t.http.post('/api/auth/login').send({ email: body.email, password: 'Wrong9876x' }).expect(401);
      await t.http.post('/api/auth/login').send(credentials(body)).expect(403);
      const token = await t.login(ADMIN.email, ADMIN.password);

      const events = t.securityEvents().filter((event) => event.email === body.email);
      expect(events.map((event) => event.event)).toEqual([
        'registration_attempt',
        'user_created',
        'login_failed',
        'login_inactive_user',
      ]);
      expect(events.find((event) => event.event === 'user_created')).toMatchObject({
        is_active: false,
        ip: '127.0.0.1',
      });
      expect(events.find((event) => event.event === 'login_failed')).toMatchObject({ reason: 'wrong_password' });
      const text = t.securityLogText();
      for (const secret of ['Secret9876', 'Wrong9876x', ADMIN.password, token, '$argon2']) {
        expect(text).not.toContain(secret);
      }
    });
  });
});
