import { freshStep, totpCode } from '../support/totp';
import { linkIn, SmtpSink } from '../support/smtp-sink';
import { ADMIN, closeAll, credentials, startTestApp, TestApp } from '../support/test-app';
import { registerUser } from '../support/sign-ins';
import { createTestDatabase } from '../support/test-database';
import { eventually, waitFor } from '../support/wait';

jest.setTimeout(60_000);

const LOCKOUT = {
  ACCOUNT_LOCKOUT_MAX_FAILURES: '3',
  ACCOUNT_LOCKOUT_TIME: '2',
  ACCOUNT_LOCKOUT_MAX_TIME: '900',
  REGISTRATION_MODE: 'open',
  REGISTER_RATE_LIMIT: '1000',
  LOGIN_RATE_LIMIT: '1000',
  MFA_DISABLE_RATE_LIMIT: '1000',
  ADMIN_NOTIFY: 'off',
  EMAIL_VERIFICATION: 'off',
  MAIL_POLL_INTERVAL_MS: '100',
};

function wrongLogin(t: TestApp, email: string) {
  return t.http.post('/api/auth/login').send({ email, password: 'Wrong1234' });
}

/** The user as an admin's listing shows it. */
async function adminView(t: TestApp, id: string): Promise<Record<string, unknown>> {
  const token = await t.login(ADMIN.email, ADMIN.password);
  const list = await t.http.get('/api/admin/users?limit=1000').set('Authorization', `Bearer ${token}`).expect(200);
  return (list.body as Array<Record<string, unknown>>).find((user) => user.id === id)!;
}

/** Fails `count` logins; returns the body of the last answer. */
async function failLogins(t: TestApp, email: string, count: number) {
  let body: unknown;
  for (let attempt = 0; attempt < count; attempt += 1) {
    body = (await wrongLogin(t, email).expect(401)).body;
  }
  return body;
}

describe('Account lockout', () => {
  const sink = new SmtpSink();
  let t: TestApp;

  beforeAll(async () => {
    await sink.start();
    t = await startTestApp({ env: { ...LOCKOUT, SMTP_URL: sink.url, PUBLIC_URL: 'https://shield.example' } });
  });
  afterAll(async () => {
    await closeAll(t);
    await sink.stop();
  });

  it('locks after MAX failures: the right password then gets exactly the wrong-password answer', async () => {
    const user = await registerUser(t);
    const wrongBody = await failLogins(t, user.email, 3);
    const locked = await t.http.post('/api/auth/login').send(credentials(user)).expect(401);
    expect(locked.body).toEqual(wrongBody);
    expect(locked.body).toEqual({ statusCode: 401, error: 'Unauthorized', message: 'Incorrect email or password' });
    expect(Object.keys(locked.headers).sort()).toEqual(Object.keys((await wrongLogin(t, user.email)).headers).sort());
    expect((await adminView(t, user.id)).locked_until).toEqual(expect.any(String));
    expect(t.securityEvents()).toContainEqual(
      expect.objectContaining({ event: 'account_locked', user_id: user.id, lock_seconds: 2 }),
    );
    expect(t.securityEvents()).toContainEqual(
      expect.objectContaining({ event: 'login_failed', email: user.email, reason: 'account_locked' }),
    );
  });

  it('e-mails the owner with a reset link; resetting unlocks at once', async () => {
    const user = await registerUser(t);
    await failLogins(t, user.email, 3);
    const [mail] = await sink.waitFor(user.email);
    expect(mail.subject).toBe('[regshield] Your account was locked');
    const { url, token } = linkIn(mail, '/reset-password');
    expect(url.startsWith('https://shield.example/reset-password?token=')).toBe(true);
    expect(t.securityLogText()).not.toContain(token);
    await t.http.post('/api/auth/password/reset').send({ token, new_password: 'Unlocked1234' }).expect(204);
    await t.login(user.email, 'Unlocked1234');
    expect((await adminView(t, user.id)).locked_until).toBeNull();
  });

  it('doubles the lock time for a second lock without a success in between', async () => {
    const user = await registerUser(t);
    /** The lock's length in seconds, bracketed by the times just before and after the locking request. */
    const lock = async () => {
      await failLogins(t, user.email, 2);
      const before = Date.now();
      await failLogins(t, user.email, 1);
      const after = Date.now();
      const until = Date.parse((await adminView(t, user.id)).locked_until as string);
      return { atMost: (until - before) / 1000, atLeast: (until - after) / 1000 };
    };
    const first = await lock();
    expect(first.atLeast).toBeLessThanOrEqual(2.05);
    expect(first.atMost).toBeGreaterThanOrEqual(1.95);
    await waitFor(async () => ((await adminView(t, user.id)).locked_until === null ? true : undefined), 10_000);
    const second = await lock();
    expect(second.atLeast).toBeLessThanOrEqual(4.05);
    expect(second.atMost).toBeGreaterThanOrEqual(3.95);
  });

  it('does not count failures while locked, and lets the right password in once the lock ends', async () => {
    const user = await registerUser(t);
    await failLogins(t, user.email, 3);
    await failLogins(t, user.email, 5);
    await waitFor(async () => ((await adminView(t, user.id)).locked_until === null ? true : undefined), 10_000);
    await t.login(user.email, user.password);
  });

  it('starts the count over after a successful login', async () => {
    const user = await registerUser(t);
    await failLogins(t, user.email, 2);
    await t.login(user.email, user.password);
    await failLogins(t, user.email, 2);
    await t.login(user.email, user.password);
  });

  it('counts a wrong current password on change toward the lockout', async () => {
    const user = await registerUser(t);
    const token = await t.login(user.email, user.password);
    for (let attempt = 0; attempt < 3; attempt += 1) {
      await t.http
        .post('/api/auth/password/change')
        .set('Authorization', `Bearer ${token}`)
        .send({ current_password: 'Wrong1234', new_password: 'Other12345' })
        .expect(422);
    }
    await t.http.post('/api/auth/login').send(credentials(user)).expect(401);
  });

  /** A new user with a TOTP second factor enabled with the code of the step before `step`. */
  async function registerWithTotp(step: number) {
    const user = await registerUser(t);
    const token = await t.login(user.email, user.password);
    const setup = await t.http.post('/api/auth/mfa/totp/setup').set('Authorization', `Bearer ${token}`).expect(200);
    const secret = setup.body.secret as string;
    await t.http
      .post('/api/auth/mfa/totp/enable')
      .set('Authorization', `Bearer ${token}`)
      .send({ code: totpCode(secret, step - 1) })
      .expect(200);
    return { user, token, secret };
  }

  it('counts a wrong second factor toward the lockout', async () => {
    const step = await freshStep();
    const { user, secret } = await registerWithTotp(step);
    const wrongOtp = { ...credentials(user), otp: totpCode(secret, step + 5) };
    for (let attempt = 0; attempt < 3; attempt += 1) {
      await t.http.post('/api/auth/login').send(wrongOtp).expect(401);
    }
    const locked = await t.http
      .post('/api/auth/login')
      .send({ ...credentials(user), otp: totpCode(secret, step) })
      .expect(401);
    expect(locked.body.message).toBe('Incorrect email or password');
    expect(t.securityEvents()).toContainEqual(expect.objectContaining({ event: 'account_locked', user_id: user.id }));
  });

  it('counts a wrong password or code on turning off the second factor toward the lockout, logged and stored', async () => {
    const step = await freshStep();
    const { user, token, secret } = await registerWithTotp(step);
    const disable = (body: Record<string, string>) =>
      t.http.post('/api/auth/mfa/totp/disable').set('Authorization', `Bearer ${token}`).send(body).expect(422);
    await disable({ password: 'Wrong1234', code: totpCode(secret, step) });
    await disable({ password: user.password, code: totpCode(secret, step + 5) });
    await disable({ password: 'Wrong1234', code: '000000' });

    const locked = await t.http
      .post('/api/auth/login')
      .send({ ...credentials(user), otp: totpCode(secret, step) })
      .expect(401);
    expect(locked.body).toEqual({ statusCode: 401, error: 'Unauthorized', message: 'Incorrect email or password' });
    expect(t.securityEvents()).toContainEqual(expect.objectContaining({ event: 'account_locked', user_id: user.id }));
    const refusals = t.securityEvents().filter((e) => e.event === 'mfa_disable_failed' && e.user_id === user.id);
    expect(refusals.map((e) => [e.reason, e.level, e.email])).toEqual([
      ['wrong_password', 'warn', user.email],
      ['wrong_code', 'warn', user.email],
      ['wrong_password', 'warn', user.email],
    ]);
    expect(t.securityLogText()).not.toContain('Wrong1234');
    const stored = await eventually(async () => {
      const { rows } = await t.db.query(
        `SELECT details->>'reason' AS reason, host(ip) AS ip FROM audit_events
          WHERE event = 'mfa_disable_failed' AND target_id = $1 ORDER BY time`,
        [user.id],
      );
      return rows.length === 3 ? rows : undefined;
    });
    expect(stored).toEqual([
      { reason: 'wrong_password', ip: '127.0.0.1' },
      { reason: 'wrong_code', ip: '127.0.0.1' },
      { reason: 'wrong_password', ip: '127.0.0.1' },
    ]);
  });

  it('admin unlock: 204, the user logs in again at once, logged; unknown user 404; non-admin 403', async () => {
    const user = await registerUser(t);
    await failLogins(t, user.email, 3);
    await t.http.post('/api/auth/login').send(credentials(user)).expect(401);
    const adminToken = await t.login(ADMIN.email, ADMIN.password);
    await t.http
      .delete('/api/admin/users/00000000-0000-4000-8000-000000000000/lockout')
      .set('Authorization', `Bearer ${adminToken}`)
      .expect(404);
    const other = await registerUser(t);
    const otherToken = await t.login(other.email, other.password);
    await t.http.delete(`/api/admin/users/${user.id}/lockout`).set('Authorization', `Bearer ${otherToken}`).expect(403);
    await t.http.delete(`/api/admin/users/${user.id}/lockout`).set('Authorization', `Bearer ${adminToken}`).expect(204);
    await t.login(user.email, user.password);
    expect(t.securityEvents()).toContainEqual(
      expect.objectContaining({ event: 'account_unlocked', target_id: user.id, actor_id: expect.any(String) }),
    );
  });

  it('is shared by concurrent failures: exactly one lock, one e-mail', async () => {
    const user = await registerUser(t);
    await Promise.all(Array.from({ length: 6 }, () => wrongLogin(t, user.email).expect(401)));
    await sink.waitFor(user.email);
    const locks = t.securityEvents().filter((event) => event.event === 'account_locked' && event.user_id === user.id);
    expect(locks).toHaveLength(1);
    const { rows } = await t.db.query(`SELECT 1 FROM mail_outbox WHERE recipient = $1`, [user.email]);
    expect(rows).toHaveLength(1);
  });
});

describe('Account lockout across a restart', () => {
  it('keeps a lock when the app restarts on the same database', async () => {
    const database = await createTestDatabase();
    let first: TestApp | undefined;
    let second: TestApp | undefined;
    try {
      const env = { ...LOCKOUT, ACCOUNT_LOCKOUT_TIME: '600' };
      first = await startTestApp({ databaseUrl: database.url, env });
      const user = await registerUser(first);
      await failLogins(first, user.email, 3);
      await first.close();
      second = await startTestApp({ databaseUrl: database.url, env });
      await second.http.post('/api/auth/login').send(credentials(user)).expect(401);
      expect((await adminView(second, user.id)).locked_until).toEqual(expect.any(String));
    } finally {
      await closeAll(first, second);
      await database.drop();
    }
  });
});
