import { ADMIN, closeAll, credentials, newUser, startTestApp, TestApp } from '../support/test-app';
import { COMMON_PASSWORDS, expectCommonPasswordRefused } from '../support/passwords';
import { AccountRetentionService } from '../../src/account/account-retention.service';
import { linkIn, SmtpSink } from '../support/smtp-sink';
import { eventually, mailTo } from '../support/wait';

jest.setTimeout(60_000);

const PUBLIC_URL = 'https://shield.example';
const FAST = {
  MAIL_POLL_INTERVAL_MS: '100',
  REGISTER_RATE_LIMIT: '1000',
  LOGIN_RATE_LIMIT: '1000',
  // This file asks for many links from one IP; the throttle has its own app below.
  PASSWORD_FORGOT_RATE_LIMIT: '1000',
  ADMIN_NOTIFY: 'off',
  PUBLIC_URL,
};

async function userRow(t: TestApp, email: string) {
  const { rows } = await t.db.query<{ id: string; email_verified: boolean }>(
    'SELECT id, email_verified FROM users WHERE email = $1',
    [email],
  );
  return rows[0];
}

describe('E-mail flows over real SMTP, followed from the e-mails', () => {
  const sink = new SmtpSink();
  let t: TestApp;
  let required: TestApp;

  beforeAll(async () => {
    await sink.start();
    t = await startTestApp({ env: { ...FAST, SMTP_URL: sink.url, REGISTRATION_MODE: 'open' } });
    required = await startTestApp({
      env: { ...FAST, SMTP_URL: sink.url, REGISTRATION_MODE: 'open', EMAIL_VERIFICATION: 'required' },
    });
  });
  afterAll(async () => {
    await closeAll(t, required);
    await sink.stop();
  });

  describe('verification (EMAIL_VERIFICATION=optional)', () => {
    it('sends a link at sign-up; the link verifies once; login was never blocked', async () => {
      const user = newUser({ full_name: 'Vera <i>Fy</i>' });
      const created = await t.http.post('/api/auth/register').send(user).expect(201);
      expect(created.body).toMatchObject({ email_verified: false, locked_until: null });
      await t.login(user.email, user.password);

      const mail = await mailTo(sink, user.email, 'Confirm your e-mail address');
      expect(mail.raw).toContain('Content-Type: text/plain');
      expect(mail.raw).toContain('Content-Type: text/html');
      expect(mail.raw).toContain('Hello Vera &lt;i&gt;Fy&lt;/i&gt;,');
      expect(mail.raw).toContain('regshield at https://shield.example');
      const { url, token } = linkIn(mail, '/verify-email');
      expect(url.startsWith(`${PUBLIC_URL}/verify-email?token=`)).toBe(true);
      expect(Buffer.from(token, 'base64url').length).toBeGreaterThanOrEqual(16);

      const verified = await t.http.post('/api/auth/verify-email').send({ token }).expect(200);
      expect(verified.body).toMatchObject({ id: created.body.id, email_verified: true });
      const again = await t.http.post('/api/auth/verify-email').send({ token }).expect(400);
      expect(again.body).toEqual({ statusCode: 400, error: 'Bad Request', message: 'Invalid or expired token' });

      const { rows } = await t.db.query<{ token_hash: Buffer }>(
        `SELECT token_hash FROM email_tokens WHERE user_id = $1`,
        [created.body.id],
      );
      expect(rows.map((row) => row.token_hash.toString('base64url'))).not.toContain(token);
      expect(t.securityEvents()).toContainEqual(
        expect.objectContaining({ event: 'email_verified', user_id: created.body.id }),
      );
      expect(t.securityLogText()).not.toContain(token);
    });

    it('verifies exactly once when ten requests race with one link', async () => {
      const user = newUser();
      await t.http.post('/api/auth/register').send(user).expect(201);
      const { token } = linkIn(await mailTo(sink, user.email, 'Confirm'), '/verify-email');
      const responses = await Promise.all(
        Array.from({ length: 10 }, () => t.http.post('/api/auth/verify-email').send({ token })),
      );
      expect(responses.map((response) => response.status).sort()).toEqual([200, ...Array<number>(9).fill(400)]);
      const verified = t
        .securityEvents()
        .filter((event) => event.event === 'email_verified' && event.email === user.email);
      expect(verified).toHaveLength(1);
    });

    it('refuses unknown, expired and malformed tokens with the same 400', async () => {
      const user = newUser();
      await t.http.post('/api/auth/register').send(user).expect(201);
      const { token } = linkIn(await mailTo(sink, user.email, 'Confirm'), '/verify-email');
      await t.db.query(
        `UPDATE email_tokens SET expires_at = now() - interval '1 second'
          WHERE user_id = (SELECT id FROM users WHERE email = $1)`,
        [user.email],
      );
      for (const bad of [token, 'not-a-token', `${token}x`]) {
        const response = await t.http.post('/api/auth/verify-email').send({ token: bad }).expect(400);
        expect(response.body.message).toBe('Invalid or expired token');
      }
      await t.http.post('/api/auth/verify-email').send({}).expect(422);
      expect((await userRow(t, user.email)).email_verified).toBe(false);
    });

    it('resend: the same 202 for an unknown, a verified and an unverified address; only the last gets a link', async () => {
      const user = newUser();
      await t.http.post('/api/auth/register').send(user).expect(201);
      await mailTo(sink, user.email, 'Confirm');
      const answers = [];
      for (const email of ['nobody-at-all@example.com', ADMIN.email, user.email]) {
        const response = await t.http.post('/api/auth/verify-email/resend').send({ email }).expect(202);
        answers.push(response.body);
      }
      expect(new Set(answers.map((body) => JSON.stringify(body))).size).toBe(1);
      const second = await mailTo(sink, user.email, 'Confirm', 2);
      await t.http
        .post('/api/auth/verify-email')
        .send({ token: linkIn(second, '/verify-email').token })
        .expect(200);
      expect(sink.to('nobody-at-all@example.com')).toEqual([]);
      expect(sink.to(ADMIN.email).filter((mail) => mail.subject.includes('Confirm'))).toEqual([]);
    });
  });

  describe('verification (EMAIL_VERIFICATION=off)', () => {
    let off: TestApp;
    beforeAll(async () => {
      off = await startTestApp({
        env: { ...FAST, SMTP_URL: sink.url, REGISTRATION_MODE: 'open', EMAIL_VERIFICATION: 'off' },
      });
    });
    afterAll(() => closeAll(off));

    it('resend answers 202 as ever but sends no link and stores no token', async () => {
      const user = newUser();
      const created = await off.http.post('/api/auth/register').send(user).expect(201);
      const answer = await off.http.post('/api/auth/verify-email/resend').send({ email: user.email }).expect(202);
      expect(answer.body).toEqual({ message: 'If the address belongs to an account, an e-mail is on its way' });
      // The request is deleted in the transaction that handles it, with the token and e-mail it would queue.
      await eventually(async () => {
        const { rows } = await off.db.query('SELECT 1 FROM account_email_requests');
        return rows.length === 0;
      });
      const tokens = await off.db.query('SELECT 1 FROM email_tokens WHERE user_id = $1', [created.body.id]);
      expect(tokens.rows).toEqual([]);
      const queued = await off.db.query('SELECT 1 FROM mail_outbox WHERE recipient = $1', [user.email]);
      expect(queued.rows).toEqual([]);
      expect(sink.to(user.email)).toEqual([]);
    });
  });

  describe('verification (EMAIL_VERIFICATION=required)', () => {
    it('refuses login of an unverified account with 403 only after the right password, then lets it in', async () => {
      const user = newUser();
      await required.http.post('/api/auth/register').send(user).expect(201);
      const wrong = await required.http
        .post('/api/auth/login')
        .send({ email: user.email, password: 'Wrong1234' })
        .expect(401);
      expect(wrong.body.message).toBe('Incorrect email or password');
      const refused = await required.http.post('/api/auth/login').send(credentials(user)).expect(403);
      expect(refused.body).toEqual({ statusCode: 403, error: 'Forbidden', message: 'Email not verified' });

      const { token } = linkIn(await mailTo(sink, user.email, 'Confirm'), '/verify-email');
      await required.http.post('/api/auth/verify-email').send({ token }).expect(200);
      await required.login(user.email, user.password);
    });

    it('lets in the provisioned admin, whose address an operator vouched for', async () => {
      await required.login(ADMIN.email, ADMIN.password);
    });
  });

  describe('forgotten password', () => {
    it('answers an unknown address exactly like a known one, and mails only the known one', async () => {
      const user = newUser();
      await t.http.post('/api/auth/register').send(user).expect(201);
      const known = await t.http.post('/api/auth/password/forgot').send({ email: user.email }).expect(202);
      const unknown = await t.http
        .post('/api/auth/password/forgot')
        .send({ email: 'no-such-user@example.com' })
        .expect(202);
      expect(unknown.body).toEqual(known.body);
      expect(Object.keys(unknown.headers).sort()).toEqual(Object.keys(known.headers).sort());
      const mail = await mailTo(sink, user.email, 'Reset your password');
      expect(linkIn(mail, '/reset-password').url.startsWith(`${PUBLIC_URL}/reset-password?token=`)).toBe(true);
      expect(sink.to('no-such-user@example.com')).toEqual([]);
      const requested = t.securityEvents().filter((event) => event.event === 'password_reset_requested');
      expect(requested.map((event) => event.email)).toEqual(
        expect.arrayContaining([user.email, 'no-such-user@example.com']),
      );
      expect(t.securityLogText()).not.toContain(linkIn(mail, '/reset-password').token);
    });

    it('resets once from the link: 204, the new password works, the old does not, a second use is 400', async () => {
      const user = newUser();
      await t.http.post('/api/auth/register').send(user).expect(201);
      await t.http.post('/api/auth/password/forgot').send({ email: user.email }).expect(202);
      const { token } = linkIn(await mailTo(sink, user.email, 'Reset'), '/reset-password');

      const weak = await t.http.post('/api/auth/password/reset').send({ token, new_password: 'short' }).expect(422);
      expect(JSON.stringify(weak.body.message)).toContain('new_password');
      await t.http.post('/api/auth/password/reset').send({ token, new_password: 'Changed1234' }).expect(204);
      const spent = await t.http
        .post('/api/auth/password/reset')
        .send({ token, new_password: 'Again12345' })
        .expect(400);
      expect(spent.body.message).toBe('Invalid or expired token');

      await t.http.post('/api/auth/login').send(credentials(user)).expect(401);
      await t.login(user.email, 'Changed1234');
      const row = await userRow(t, user.email);
      expect(row.email_verified).toBe(true);
      expect(t.securityEvents()).toContainEqual(
        expect.objectContaining({ event: 'password_changed', user_id: row.id, via: 'reset' }),
      );
    });

    it('works exactly once when ten requests race with one token', async () => {
      const user = newUser();
      await t.http.post('/api/auth/register').send(user).expect(201);
      await t.http.post('/api/auth/password/forgot').send({ email: user.email }).expect(202);
      const { token } = linkIn(await mailTo(sink, user.email, 'Reset'), '/reset-password');
      const statuses = await Promise.all(
        Array.from({ length: 10 }, async (_, index) => {
          const response = await t.http
            .post('/api/auth/password/reset')
            .send({ token, new_password: `Racer1234${index}` });
          return response.status;
        }),
      );
      expect(statuses.sort()).toEqual([204, ...Array<number>(9).fill(400)]);
    });

    it('is void once the password is changed: a link asked for before the change no longer resets it', async () => {
      const user = newUser();
      await t.http.post('/api/auth/register').send(user).expect(201);
      await t.http.post('/api/auth/password/forgot').send({ email: user.email }).expect(202);
      const { token } = linkIn(await mailTo(sink, user.email, 'Reset'), '/reset-password');
      const bearer = await t.login(user.email, user.password);
      await t.http
        .post('/api/auth/password/change')
        .set('Authorization', `Bearer ${bearer}`)
        .send({ current_password: user.password, new_password: 'Changed1234' })
        .expect(204);

      const stale = await t.http
        .post('/api/auth/password/reset')
        .send({ token, new_password: 'Taken0ver1' })
        .expect(400);
      expect(stale.body.message).toBe('Invalid or expired token');
      await t.login(user.email, 'Changed1234');
    });

    it('refuses an expired link, and a link replaced by a newer request', async () => {
      const user = newUser();
      await t.http.post('/api/auth/register').send(user).expect(201);
      await t.http.post('/api/auth/password/forgot').send({ email: user.email }).expect(202);
      const first = linkIn(await mailTo(sink, user.email, 'Reset'), '/reset-password').token;
      await t.http.post('/api/auth/password/forgot').send({ email: user.email }).expect(202);
      const second = linkIn(await mailTo(sink, user.email, 'Reset', 2), '/reset-password').token;
      await t.http.post('/api/auth/password/reset').send({ token: first, new_password: 'Newer1234' }).expect(400);

      await t.db.query(`UPDATE email_tokens SET expires_at = now() WHERE used_at IS NULL AND kind = 'password_reset'`);
      await t.http.post('/api/auth/password/reset').send({ token: second, new_password: 'Newer1234' }).expect(400);
      await t.login(user.email, user.password);
    });
    it('ends every session of the user, access and refresh tokens alike', async () => {
      const user = newUser();
      await t.http.post('/api/auth/register').send(user).expect(201);
      const first = await t.http.post('/api/auth/login').send(credentials(user)).expect(200);
      const second = await t.http.post('/api/auth/login').send(credentials(user)).expect(200);
      await t.http.post('/api/auth/password/forgot').send({ email: user.email }).expect(202);
      const { token } = linkIn(await mailTo(sink, user.email, 'Reset'), '/reset-password');
      await t.http.post('/api/auth/password/reset').send({ token, new_password: 'Changed1234' }).expect(204);

      for (const pair of [first.body, second.body] as Array<{ access_token: string; refresh_token: string }>) {
        await t.http.get('/api/auth/me').set('Authorization', `Bearer ${pair.access_token}`).expect(401);
        await t.http.post('/api/auth/refresh').send({ refresh_token: pair.refresh_token }).expect(401);
      }
    });
  });

  describe('forgot-password throttle', () => {
    let limited: TestApp;
    beforeAll(async () => {
      limited = await startTestApp({
        env: {
          ...FAST,
          SMTP_URL: sink.url,
          PASSWORD_FORGOT_RATE_LIMIT: '4',
          PASSWORD_FORGOT_EMAIL_RATE_LIMIT: '2',
        },
      });
    });
    afterAll(() => closeAll(limited));

    it('limits requests per address (whoever sends them) and per client IP, with 429 and Retry-After', async () => {
      const forgot = (email: string) => limited.http.post('/api/auth/password/forgot').send({ email });
      await forgot('target@example.com').expect(202);
      await forgot('TARGET@example.com').expect(202);
      const perAddress = await forgot('target@example.com').expect(429);
      expect(Number(perAddress.headers['retry-after'])).toBeGreaterThan(0);
      await forgot('other@example.com').expect(202);
      const perIp = await forgot('third@example.com').expect(429);
      expect(Number(perIp.headers['retry-after'])).toBeGreaterThan(0);
      expect(limited.securityEvents()).toContainEqual(
        expect.objectContaining({ event: 'rate_limit_hit', path: '/api/auth/password/forgot', counted_by: 'email' }),
      );
      expect(limited.securityEvents()).toContainEqual(
        expect.objectContaining({ event: 'rate_limit_hit', path: '/api/auth/password/forgot', counted_by: 'ip' }),
      );
    });
  });

  describe('password change', () => {
    it('changes with the right current password (204) and refuses a wrong one (422)', async () => {
      const user = newUser();
      await t.http.post('/api/auth/register').send(user).expect(201);
      const token = await t.login(user.email, user.password);
      const change = (body: object) =>
        t.http.post('/api/auth/password/change').set('Authorization', `Bearer ${token}`).send(body);
      const wrong = await change({ current_password: 'Wrong1234', new_password: 'Changed1234' }).expect(422);
      expect(wrong.body).toEqual({
        statusCode: 422,
        error: 'Unprocessable Entity',
        message: ['current_password is incorrect'],
      });
      await change({ current_password: user.password, new_password: 'nodigits' }).expect(422);
      await change({ current_password: user.password, new_password: 'Changed1234' }).expect(204);
      await t.login(user.email, 'Changed1234');
      await t.http.post('/api/auth/login').send(credentials(user)).expect(401);
      await t.http
        .post('/api/auth/password/change')
        .send({ current_password: 'x', new_password: 'Changed1234' })
        .expect(401);
      expect(t.securityEvents()).toContainEqual(expect.objectContaining({ event: 'password_changed', via: 'change' }));
    });

    it('refuses a common password as the new one, at reset and at change', async () => {
      const user = newUser();
      await t.http.post('/api/auth/register').send(user).expect(201);
      const token = await t.login(user.email, user.password);
      expectCommonPasswordRefused(
        await t.http
          .post('/api/auth/password/change')
          .set('Authorization', `Bearer ${token}`)
          .send({ current_password: user.password, new_password: COMMON_PASSWORDS[0] }),
        'new_password',
      );
      await t.http.post('/api/auth/password/forgot').send({ email: user.email }).expect(202);
      const { token: resetToken } = linkIn(await mailTo(sink, user.email, 'Reset'), '/reset-password');
      expectCommonPasswordRefused(
        await t.http.post('/api/auth/password/reset').send({ token: resetToken, new_password: COMMON_PASSWORDS[1] }),
        'new_password',
      );
      await t.http
        .post('/api/auth/password/reset')
        .send({ token: resetToken, new_password: 'Changed1234' })
        .expect(204);
    });

    it('keeps the session that changed the password and ends every other one', async () => {
      const user = newUser();
      await t.http.post('/api/auth/register').send(user).expect(201);
      const here = (await t.http.post('/api/auth/login').send(credentials(user)).expect(200)).body as {
        access_token: string;
        refresh_token: string;
      };
      const elsewhere = (await t.http.post('/api/auth/login').send(credentials(user)).expect(200)).body as {
        access_token: string;
        refresh_token: string;
      };
      await t.http
        .post('/api/auth/password/change')
        .set('Authorization', `Bearer ${here.access_token}`)
        .send({ current_password: user.password, new_password: 'Changed1234' })
        .expect(204);

      await t.http.get('/api/auth/me').set('Authorization', `Bearer ${here.access_token}`).expect(200);
      await t.http.post('/api/auth/refresh').send({ refresh_token: here.refresh_token }).expect(200);
      await t.http.get('/api/auth/me').set('Authorization', `Bearer ${elsewhere.access_token}`).expect(401);
      await t.http.post('/api/auth/refresh').send({ refresh_token: elsewhere.refresh_token }).expect(401);
    });
  });

  describe('admin password reset', () => {
    it('e-mails the user a working reset link (202), logged as an admin action; unknown id → 404', async () => {
      const user = newUser();
      const created = await t.http.post('/api/auth/register').send(user).expect(201);
      const adminToken = await t.login(ADMIN.email, ADMIN.password);
      const userToken = await t.login(user.email, user.password);
      await t.http
        .post(`/api/admin/users/${created.body.id}/password-reset`)
        .set('Authorization', `Bearer ${userToken}`)
        .expect(403);
      await t.http
        .post(`/api/admin/users/${created.body.id}/password-reset`)
        .set('Authorization', `Bearer ${adminToken}`)
        .expect(202);
      await t.http
        .post('/api/admin/users/00000000-0000-4000-8000-000000000000/password-reset')
        .set('Authorization', `Bearer ${adminToken}`)
        .expect(404);
      await t.http
        .post('/api/admin/users/not-an-id/password-reset')
        .set('Authorization', `Bearer ${adminToken}`)
        .expect(404);
      const { token } = linkIn(await mailTo(sink, user.email, 'Reset'), '/reset-password');
      await t.http.post('/api/auth/password/reset').send({ token, new_password: 'ByAdmin1234' }).expect(204);
      await t.login(user.email, 'ByAdmin1234');
      expect(t.securityEvents()).toContainEqual(
        expect.objectContaining({ event: 'admin_action', action: 'password_reset', target_id: created.body.id }),
      );
    });
  });

  describe('pruning', () => {
    it('deletes spent and expired e-mail tokens and the queued notices of users no longer pending', async () => {
      const user = newUser();
      const created = await t.http.post('/api/auth/register').send(user).expect(201);
      const verification = linkIn(await mailTo(sink, user.email, 'Confirm your e-mail address'), '/verify-email');
      await t.http.post('/api/auth/verify-email').send({ token: verification.token }).expect(200);
      // Two reset links: the second replaces (spends) the first.
      await t.http.post('/api/auth/password/forgot').send({ email: user.email }).expect(202);
      await mailTo(sink, user.email, 'Reset your password');
      await t.http.post('/api/auth/password/forgot').send({ email: user.email }).expect(202);
      const live = linkIn(await mailTo(sink, user.email, 'Reset your password', 2), '/reset-password');
      const other = newUser();
      const otherCreated = await t.http.post('/api/auth/register').send(other).expect(201);
      const expired = linkIn(await mailTo(sink, other.email, 'Confirm your e-mail address'), '/verify-email');
      await t.db.query(`UPDATE email_tokens SET expires_at = now() - interval '1 second' WHERE user_id = $1`, [
        otherCreated.body.id,
      ]);
      // A sign-up queued for a digest and activated since, and one still waiting.
      await t.db.query(`UPDATE users SET status = 'pending' WHERE id = $1`, [otherCreated.body.id]);
      await t.db.query('INSERT INTO signup_notice_queue (user_id) VALUES ($1), ($2)', [
        created.body.id,
        otherCreated.body.id,
      ]);

      const pruned = await t.app.get(AccountRetentionService).prune();
      expect(pruned.emailTokens).toBeGreaterThanOrEqual(3);
      expect(pruned.signupNotices).toBe(1);
      const { rows: tokens } = await t.db.query<{ user_id: string; kind: string; used_at: Date | null }>(
        'SELECT user_id, kind, used_at FROM email_tokens WHERE user_id IN ($1, $2)',
        [created.body.id, otherCreated.body.id],
      );
      expect(tokens).toEqual([{ user_id: created.body.id, kind: 'password_reset', used_at: null }]);
      const { rows: queue } = await t.db.query<{ user_id: string }>('SELECT user_id FROM signup_notice_queue');
      expect(queue).toEqual([{ user_id: otherCreated.body.id }]);

      // A pruned token is refused as before; the live one still works.
      for (const token of [verification.token, expired.token]) {
        await t.http.post('/api/auth/verify-email').send({ token }).expect(400);
      }
      await t.http
        .post('/api/auth/password/reset')
        .send({ token: live.token, new_password: 'Pruned12345' })
        .expect(204);
    });
  });
});
