import { randomUUID } from 'node:crypto';
import { Client, Notification } from 'pg';
import { SessionRetentionService } from '../../src/sessions/session-retention.service';
import { ADMIN, credentials, newUser, startTestApp, TestApp } from '../support/test-app';
import { waitFor } from '../support/wait';

interface TokenPair {
  access_token: string;
  token_type: string;
  expires_in: number;
  refresh_token?: string;
  refresh_expires_in: number;
}

const auth = (token: string) => ({ Authorization: `Bearer ${token}` });
const sessionIdOf = (accessToken: string) =>
  (JSON.parse(Buffer.from(accessToken.split('.')[1], 'base64url').toString()) as { sid: string }).sid;
const INVALID_REFRESH = { statusCode: 401, error: 'Unauthorized', message: 'Invalid or expired refresh token' };

describe('Sessions and refresh tokens (real HTTP, real PostgreSQL)', () => {
  let t: TestApp;
  let adminToken: string;

  const activeUser = async () => {
    const body = newUser();
    const created = await t.http.post('/api/auth/register').send(body).expect(201);
    await t.http.post(`/api/admin/users/${created.body.id}/activate`).set(auth(adminToken)).expect(200);
    return { ...body, id: created.body.id as string };
  };
  const login = async (user: { email: string; password: string }, userAgent = 'sessions-spec/1.0') =>
    (await t.http.post('/api/auth/login').set('User-Agent', userAgent).send(credentials(user)).expect(200))
      .body as TokenPair;
  const refresh = (refreshToken: string | undefined) =>
    t.http.post('/api/auth/refresh').send({ refresh_token: refreshToken });
  const meStatus = async (accessToken: string) => (await t.http.get('/api/auth/me').set(auth(accessToken))).status;

  beforeAll(async () => {
    t = await startTestApp({ env: { REGISTER_RATE_LIMIT: '1000', LOGIN_RATE_LIMIT: '1000' } });
    adminToken = await t.login(ADMIN.email, ADMIN.password);
  });
  afterAll(() => t.close());

  describe('POST /api/auth/refresh', () => {
    it('gives a new pair for the session and spends the old refresh token; last_used_at moves', async () => {
      const user = await activeUser();
      const first = await login(user);
      expect(first.refresh_token).toMatch(/^[0-9a-f-]{36}\.[A-Za-z0-9_-]{43}$/);
      expect(first.refresh_expires_in).toBeGreaterThan(1209590);
      const before = await t.db.query('SELECT last_used_at FROM sessions WHERE id = $1', [
        sessionIdOf(first.access_token),
      ]);
      const second = (await refresh(first.refresh_token).expect(200)).body as TokenPair;
      expect(second).toEqual({
        access_token: expect.any(String),
        token_type: 'bearer',
        expires_in: 900,
        refresh_token: expect.any(String),
        refresh_expires_in: expect.any(Number),
      });
      expect(second.refresh_token).not.toBe(first.refresh_token);
      expect(second.refresh_expires_in).toBeLessThanOrEqual(first.refresh_expires_in);
      expect(sessionIdOf(second.access_token)).toBe(sessionIdOf(first.access_token));
      expect(await meStatus(second.access_token)).toBe(200);
      const after = await t.db.query('SELECT last_used_at FROM sessions WHERE id = $1', [
        sessionIdOf(first.access_token),
      ]);
      expect((after.rows[0] as { last_used_at: Date }).last_used_at.getTime()).toBeGreaterThan(
        (before.rows[0] as { last_used_at: Date }).last_used_at.getTime(),
      );
      // Only digests are stored.
      const stored = await t.db.query('SELECT refresh_token_hash FROM sessions WHERE id = $1', [
        sessionIdOf(first.access_token),
      ]);
      expect(JSON.stringify(stored.rows)).not.toContain(second.refresh_token!.split('.')[1]);
      const third = (await refresh(second.refresh_token).expect(200)).body as TokenPair;
      expect(await meStatus(third.access_token)).toBe(200);
    });

    it('on reuse of a spent token: 401, and every access and refresh token of the session stops at once', async () => {
      const user = await activeUser();
      const first = await login(user);
      const second = (await refresh(first.refresh_token).expect(200)).body as TokenPair;
      const third = (await refresh(second.refresh_token).expect(200)).body as TokenPair;
      expect(await meStatus(third.access_token)).toBe(200);

      const reused = await refresh(first.refresh_token).expect(401);
      expect(reused.body).toEqual(INVALID_REFRESH);

      for (const pair of [first, second, third]) {
        expect(await meStatus(pair.access_token)).toBe(401);
      }
      await refresh(third.refresh_token).expect(401);
      const { rows } = await t.db.query('SELECT revoked_at, revoke_reason FROM sessions WHERE id = $1', [
        sessionIdOf(first.access_token),
      ]);
      expect(rows[0]).toEqual({ revoked_at: expect.any(Date), revoke_reason: 'refresh_token_reused' });
      const event = t
        .securityEvents()
        .find((e) => e.event === 'refresh_token_reused' && e.session_id === sessionIdOf(first.access_token));
      expect(event).toMatchObject({ level: 'warn', user_id: user.id, ip: '127.0.0.1' });
      expect(t.securityLogText()).not.toContain(first.refresh_token!.split('.')[1]);
      expect(t.securityLogText()).not.toContain(third.refresh_token!.split('.')[1]);
    });

    it('rotates once for 20 concurrent refreshes with one token from one client: all get the same successor', async () => {
      const user = await activeUser();
      const first = await login(user);
      const responses = await Promise.all(Array.from({ length: 20 }, () => refresh(first.refresh_token)));
      expect(responses.map((response) => response.status)).toEqual(Array<number>(20).fill(200));
      const successors = new Set(responses.map((response) => (response.body as TokenPair).refresh_token));
      expect(successors.size).toBe(1);
      const { rows } = await t.db.query(
        'SELECT count(*)::int AS spent FROM spent_refresh_tokens WHERE session_id = $1',
        [sessionIdOf(first.access_token)],
      );
      expect(rows[0]).toEqual({ spent: 1 });
      for (const response of responses.slice(0, 3)) {
        expect(await meStatus((response.body as TokenPair).access_token)).toBe(200);
      }
      await refresh([...successors][0]).expect(200);
    });

    it('lets one of 20 concurrent refreshes from 20 clients rotate; the other 19 are reuse and revoke the session', async () => {
      const user = await activeUser();
      const first = await login(user);
      const responses = await Promise.all(
        Array.from({ length: 20 }, (_, index) =>
          t.http
            .post('/api/auth/refresh')
            .set('User-Agent', `device/${index}`)
            .send({ refresh_token: first.refresh_token }),
        ),
      );
      const statuses = responses.map((response) => response.status).sort();
      expect(statuses).toEqual([200, ...Array<number>(19).fill(401)]);
      const winner = responses.find((response) => response.status === 200)!.body as TokenPair;
      expect(await meStatus(winner.access_token)).toBe(401);
      await refresh(winner.refresh_token).expect(401);
      const { rows } = await t.db.query('SELECT revoke_reason FROM sessions WHERE id = $1', [
        sessionIdOf(first.access_token),
      ]);
      expect(rows[0]).toEqual({ revoke_reason: 'refresh_token_reused' });
    });

    describe('the token just spent, presented again (REFRESH_REUSE_GRACE, 10 s)', () => {
      const refreshAs = (refreshToken: string | undefined, userAgent: string) =>
        t.http.post('/api/auth/refresh').set('User-Agent', userAgent).send({ refresh_token: refreshToken });
      const revokeReason = async (pair: TokenPair) =>
        (await t.db.query('SELECT revoke_reason FROM sessions WHERE id = $1', [sessionIdOf(pair.access_token)])).rows[0]
          .revoke_reason as string | null;

      it('by the same client within the grace: 200 with the same successor, and the session goes on', async () => {
        const user = await activeUser();
        const first = await login(user, 'tab/1');
        const second = (await refreshAs(first.refresh_token, 'tab/1').expect(200)).body as TokenPair;
        const repeat = (await refreshAs(first.refresh_token, 'tab/1').expect(200)).body as TokenPair;
        expect(repeat.refresh_token).toBe(second.refresh_token);
        expect(sessionIdOf(repeat.access_token)).toBe(sessionIdOf(second.access_token));
        expect(await meStatus(repeat.access_token)).toBe(200);
        expect(await revokeReason(first)).toBeNull();
        // The successor is stored sealed, never as it is handed out.
        const { rows } = await t.db.query('SELECT * FROM sessions WHERE id = $1', [sessionIdOf(first.access_token)]);
        const stored = JSON.stringify(rows) + rows.map((row) => Object.values(row).join('|')).join('|');
        expect(stored).not.toContain(second.refresh_token!.split('.')[1]);
        expect(stored).not.toContain(Buffer.from(second.refresh_token!.split('.')[1], 'base64url').toString('hex'));

        // The chain goes on; the first token is no longer the one just spent: presenting it now is reuse.
        const third = (await refreshAs(second.refresh_token, 'tab/1').expect(200)).body as TokenPair;
        await refreshAs(first.refresh_token, 'tab/1').expect(401);
        expect(await revokeReason(first)).toBe('refresh_token_reused');
        expect(await meStatus(third.access_token)).toBe(401);
      });

      it('by another client (User-Agent) within the grace: 401, and the whole session is revoked', async () => {
        const user = await activeUser();
        const first = await login(user, 'tab/1');
        const second = (await refreshAs(first.refresh_token, 'tab/1').expect(200)).body as TokenPair;
        expect((await refreshAs(first.refresh_token, 'thief/1').expect(401)).body).toEqual(INVALID_REFRESH);
        expect(await revokeReason(first)).toBe('refresh_token_reused');
        expect(await meStatus(second.access_token)).toBe(401);
        await refreshAs(second.refresh_token, 'tab/1').expect(401);
      });

      it('by the same client after the grace: 401, and the whole session is revoked', async () => {
        const user = await activeUser();
        const first = await login(user, 'tab/1');
        const second = (await refreshAs(first.refresh_token, 'tab/1').expect(200)).body as TokenPair;
        await t.db.query(`UPDATE sessions SET rotated_at = rotated_at - interval '11 seconds' WHERE id = $1`, [
          sessionIdOf(first.access_token),
        ]);
        expect((await refreshAs(first.refresh_token, 'tab/1').expect(401)).body).toEqual(INVALID_REFRESH);
        expect(await revokeReason(first)).toBe('refresh_token_reused');
        expect(await meStatus(second.access_token)).toBe(401);
      });
    });

    it('refuses a made-up token with 401, without ending the session it names', async () => {
      const user = await activeUser();
      const pair = await login(user);
      const [sessionId] = pair.refresh_token!.split('.');
      for (const token of ['garbage', `${sessionId}.${'A'.repeat(43)}`, `${randomUUID()}.${'A'.repeat(43)}`]) {
        expect((await refresh(token).expect(401)).body).toEqual(INVALID_REFRESH);
      }
      await refresh(pair.refresh_token).expect(200);
    });

    it('answers 422 without a refresh_token (outside cookie mode) or with an unknown field', async () => {
      const missing = await t.http.post('/api/auth/refresh').send({}).expect(422);
      expect(missing.body.message).toEqual(['refresh_token must be a string']);
      await t.http.post('/api/auth/refresh').send({ refresh_token: 42 }).expect(422);
      await t.http.post('/api/auth/refresh').send({ refresh_token: 'x', extra: 1 }).expect(422);
    });

    it("refuses the refresh of a deactivated user's session (401)", async () => {
      const user = await activeUser();
      const pair = await login(user);
      await t.http.post(`/api/admin/users/${user.id}/deactivate`).set(auth(adminToken)).expect(200);
      expect((await refresh(pair.refresh_token).expect(401)).body).toEqual(INVALID_REFRESH);
      expect(await meStatus(pair.access_token)).toBe(401);
    });
  });

  describe('POST /api/auth/logout', () => {
    it("ends the bearer token's session: its access and refresh tokens stop at once, other sessions go on", async () => {
      const user = await activeUser();
      const pair = await login(user);
      const other = await login(user);
      await t.http.post('/api/auth/logout').set(auth(pair.access_token)).expect(204);
      expect(await meStatus(pair.access_token)).toBe(401);
      await refresh(pair.refresh_token).expect(401);
      expect(await meStatus(other.access_token)).toBe(200);
      await t.http.post('/api/auth/logout').set(auth(pair.access_token)).expect(401);
      expect(t.securityEvents()).toContainEqual(
        expect.objectContaining({ event: 'logout', user_id: user.id, session_id: sessionIdOf(pair.access_token) }),
      );
    });

    it('needs a bearer token (401)', async () => {
      await t.http.post('/api/auth/logout').expect(401);
    });
  });

  describe('GET and DELETE /api/auth/sessions', () => {
    it("lists the user's active sessions, newest first, marking the current one", async () => {
      const user = await activeUser();
      const older = await login(user, 'first-browser/1.0');
      const newer = await login(user, 'second-browser/2.0');
      const ended = await login(user, 'ended/1.0');
      await t.http.post('/api/auth/logout').set(auth(ended.access_token)).expect(204);
      const response = await t.http.get('/api/auth/sessions').set(auth(older.access_token)).expect(200);
      expect(response.body).toEqual([
        {
          id: sessionIdOf(newer.access_token),
          created_at: expect.any(String),
          last_used_at: expect.any(String),
          ip: '127.0.0.1',
          user_agent: 'second-browser/2.0',
          current: false,
        },
        {
          id: sessionIdOf(older.access_token),
          created_at: expect.any(String),
          last_used_at: expect.any(String),
          ip: '127.0.0.1',
          user_agent: 'first-browser/1.0',
          current: true,
        },
      ]);
    });

    it('cuts a long User-Agent to 512 characters', async () => {
      const user = await activeUser();
      const pair = await login(user, 'x'.repeat(2000));
      const response = await t.http.get('/api/auth/sessions').set(auth(pair.access_token)).expect(200);
      expect((response.body as Array<{ user_agent: string }>)[0].user_agent).toHaveLength(512);
    });

    it("ends one of the user's sessions (204); an ended, unknown or malformed one is 404", async () => {
      const user = await activeUser();
      const mine = await login(user);
      const lost = await login(user);
      const lostId = sessionIdOf(lost.access_token);
      await t.http.delete(`/api/auth/sessions/${lostId}`).set(auth(mine.access_token)).expect(204);
      expect(await meStatus(lost.access_token)).toBe(401);
      await refresh(lost.refresh_token).expect(401);
      expect(await meStatus(mine.access_token)).toBe(200);
      const again = await t.http.delete(`/api/auth/sessions/${lostId}`).set(auth(mine.access_token)).expect(404);
      expect(again.body).toEqual({ statusCode: 404, error: 'Not Found', message: 'Session not found' });
      await t.http.delete(`/api/auth/sessions/${randomUUID()}`).set(auth(mine.access_token)).expect(404);
      await t.http.delete('/api/auth/sessions/not-a-uuid').set(auth(mine.access_token)).expect(404);
      expect(t.securityEvents()).toContainEqual(
        expect.objectContaining({ event: 'session_revoked', user_id: user.id, session_id: lostId }),
      );
    });

    it("answers 404 for another user's session and leaves it alone", async () => {
      const alice = await activeUser();
      const bob = await activeUser();
      const alicePair = await login(alice);
      const bobPair = await login(bob);
      const response = await t.http
        .delete(`/api/auth/sessions/${sessionIdOf(bobPair.access_token)}`)
        .set(auth(alicePair.access_token))
        .expect(404);
      expect(response.body).toEqual({ statusCode: 404, error: 'Not Found', message: 'Session not found' });
      expect(await meStatus(bobPair.access_token)).toBe(200);
      const listed = await t.http.get('/api/auth/sessions').set(auth(alicePair.access_token)).expect(200);
      expect((listed.body as Array<{ id: string }>).map((s) => s.id)).toEqual([sessionIdOf(alicePair.access_token)]);
    });

    it('needs a bearer token (401)', async () => {
      await t.http.get('/api/auth/sessions').expect(401);
      await t.http.delete(`/api/auth/sessions/${randomUUID()}`).expect(401);
    });
  });

  describe("admins: a user's sessions and sign-out everywhere", () => {
    it("lists a user's sessions and signs the user out everywhere (204, every token stops, logged)", async () => {
      const user = await activeUser();
      const pairs = [await login(user), await login(user)];
      const listed = await t.http.get(`/api/admin/users/${user.id}/sessions`).set(auth(adminToken)).expect(200);
      expect((listed.body as Array<{ id: string; current: boolean }>).map((s) => [s.id, s.current])).toEqual([
        [sessionIdOf(pairs[1].access_token), false],
        [sessionIdOf(pairs[0].access_token), false],
      ]);
      await t.http.delete(`/api/admin/users/${user.id}/sessions`).set(auth(adminToken)).expect(204);
      for (const pair of pairs) {
        expect(await meStatus(pair.access_token)).toBe(401);
        await refresh(pair.refresh_token).expect(401);
      }
      const after = await t.http.get(`/api/admin/users/${user.id}/sessions`).set(auth(adminToken)).expect(200);
      expect(after.body).toEqual([]);
      expect(await meStatus(adminToken)).toBe(200);
      expect(t.securityEvents()).toContainEqual(
        expect.objectContaining({
          event: 'admin_action',
          action: 'end_sessions',
          target_id: user.id,
          sessions_ended: 2,
        }),
      );
      // The user can sign in again.
      expect(await meStatus((await login(user)).access_token)).toBe(200);
    });

    it('answers 404 for an unknown or malformed user id, 403 for a non-admin, 401 without a token', async () => {
      for (const id of [randomUUID(), 'nope']) {
        await t.http.get(`/api/admin/users/${id}/sessions`).set(auth(adminToken)).expect(404);
        await t.http.delete(`/api/admin/users/${id}/sessions`).set(auth(adminToken)).expect(404);
      }
      const user = await activeUser();
      const pair = await login(user);
      await t.http.get(`/api/admin/users/${user.id}/sessions`).set(auth(pair.access_token)).expect(403);
      await t.http.delete(`/api/admin/users/${user.id}/sessions`).set(auth(pair.access_token)).expect(403);
      await t.http.get(`/api/admin/users/${user.id}/sessions`).expect(401);
      expect(await meStatus(pair.access_token)).toBe(200);
    });
  });

  describe('cookie mode (X-Refresh-Cookie: 1)', () => {
    const cookieOf = (setCookie: string[] | string | undefined) => {
      const line = ([] as string[]).concat(setCookie ?? []).find((c) => c.startsWith('regshield_refresh='));
      expect(line).toBeDefined();
      return line!;
    };
    const valueOf = (line: string) => line.split(';')[0].slice('regshield_refresh='.length);

    it('sets the refresh token as an HttpOnly, Secure, SameSite=Strict cookie and leaves it out of the body', async () => {
      const user = await activeUser();
      const response = await t.http
        .post('/api/auth/login')
        .set('X-Refresh-Cookie', '1')
        .send(credentials(user))
        .expect(200);
      expect(response.body).toEqual({
        access_token: expect.any(String),
        token_type: 'bearer',
        expires_in: 900,
        refresh_expires_in: expect.any(Number),
      });
      const line = cookieOf(response.headers['set-cookie']);
      const attributes = line.split(';').map((part) => part.trim().toLowerCase());
      expect(attributes).toEqual(expect.arrayContaining(['httponly', 'secure', 'samesite=strict', 'path=/api/auth']));
      const maxAge = Number(attributes.find((a) => a.startsWith('max-age='))!.slice('max-age='.length));
      expect(maxAge).toBeGreaterThan(1209590);
      expect(maxAge).toBeLessThanOrEqual(1209600);
      expect(valueOf(line)).toMatch(/^[0-9a-f-]{36}\.[A-Za-z0-9_-]{43}$/);
    });

    it('refreshes from the cookie with an empty body only when the header is present too', async () => {
      const user = await activeUser();
      const loggedIn = await t.http.post('/api/auth/login').set('X-Refresh-Cookie', '1').send(credentials(user));
      const first = valueOf(cookieOf(loggedIn.headers['set-cookie']));

      // Without the header the cookie is not read: no token, 422.
      await t.http.post('/api/auth/refresh').set('Cookie', `regshield_refresh=${first}`).send({}).expect(422);
      await t.http.post('/api/auth/refresh').set('Cookie', `regshield_refresh=${first}`).expect(422);

      const refreshed = await t.http
        .post('/api/auth/refresh')
        .set('X-Refresh-Cookie', '1')
        .set('Cookie', `regshield_refresh=${first}`)
        .expect(200);
      expect(refreshed.body.refresh_token).toBeUndefined();
      const second = valueOf(cookieOf(refreshed.headers['set-cookie']));
      expect(second).not.toBe(first);
      expect(await meStatus(refreshed.body.access_token as string)).toBe(200);

      const withBody = await t.http
        .post('/api/auth/refresh')
        .set('X-Refresh-Cookie', '1')
        .set('Cookie', `regshield_refresh=${second}`)
        .send({})
        .expect(200);
      const third = valueOf(cookieOf(withBody.headers['set-cookie']));

      // The spent cookie presented again is reuse: the session ends.
      await t.http
        .post('/api/auth/refresh')
        .set('X-Refresh-Cookie', '1')
        .set('Cookie', `regshield_refresh=${first}`)
        .expect(401);
      await t.http
        .post('/api/auth/refresh')
        .set('X-Refresh-Cookie', '1')
        .set('Cookie', `regshield_refresh=${third}`)
        .expect(401);
      // Cookie mode without a cookie: nothing to refresh.
      await t.http.post('/api/auth/refresh').set('X-Refresh-Cookie', '1').expect(401);
    });

    it('keeps two tabs signed in when both refresh with the shared cookie at the same moment', async () => {
      const user = await activeUser();
      const loggedIn = await t.http
        .post('/api/auth/login')
        .set('User-Agent', 'browser/1')
        .set('X-Refresh-Cookie', '1')
        .send(credentials(user));
      const cookie = valueOf(cookieOf(loggedIn.headers['set-cookie']));
      const tabRefresh = () =>
        t.http
          .post('/api/auth/refresh')
          .set('User-Agent', 'browser/1')
          .set('X-Refresh-Cookie', '1')
          .set('Cookie', `regshield_refresh=${cookie}`);
      const [tabA, tabB] = await Promise.all([tabRefresh(), tabRefresh()]);
      expect([tabA.status, tabB.status]).toEqual([200, 200]);
      const next = valueOf(cookieOf(tabA.headers['set-cookie']));
      expect(valueOf(cookieOf(tabB.headers['set-cookie']))).toBe(next);
      expect(await meStatus(tabA.body.access_token as string)).toBe(200);
      expect(await meStatus(tabB.body.access_token as string)).toBe(200);
      await t.http
        .post('/api/auth/refresh')
        .set('User-Agent', 'browser/1')
        .set('X-Refresh-Cookie', '1')
        .set('Cookie', `regshield_refresh=${next}`)
        .expect(200);
    });

    it('clears the cookie on logout', async () => {
      const user = await activeUser();
      const loggedIn = await t.http.post('/api/auth/login').set('X-Refresh-Cookie', '1').send(credentials(user));
      const token = valueOf(cookieOf(loggedIn.headers['set-cookie']));
      const response = await t.http
        .post('/api/auth/logout')
        .set(auth(loggedIn.body.access_token as string))
        .set('Cookie', `regshield_refresh=${token}`)
        .expect(204);
      const cleared = cookieOf(response.headers['set-cookie']);
      expect(valueOf(cleared)).toBe('');
      expect(cleared.toLowerCase()).toContain('path=/api/auth');
      expect(cleared).toMatch(/Expires=Thu, 01 Jan 1970|Max-Age=0/);
    });
  });

  describe('database', () => {
    it("announces a session's change on channel regshield_auth as session:<id>", async () => {
      const listener = new Client({ connectionString: t.databaseUrl });
      await listener.connect();
      try {
        const received: string[] = [];
        listener.on('notification', (message: Notification) => {
          if (message.channel === 'regshield_auth' && message.payload) received.push(message.payload);
        });
        await listener.query('LISTEN regshield_auth');
        const user = await activeUser();
        const pair = await login(user);
        await t.http.post('/api/auth/logout').set(auth(pair.access_token)).expect(204);
        const payload = `session:${sessionIdOf(pair.access_token)}`;
        await waitFor(async () => (received.includes(payload) ? true : undefined), 5000);
      } finally {
        await listener.end();
      }
    });

    it('announces no refresh: a rotation changes nothing that is kept in memory of a session', async () => {
      const listener = new Client({ connectionString: t.databaseUrl });
      await listener.connect();
      try {
        const received: string[] = [];
        listener.on('notification', (message: Notification) => {
          if (message.channel === 'regshield_auth' && message.payload) received.push(message.payload);
        });
        await listener.query('LISTEN regshield_auth');
        const user = await activeUser();
        const refreshed = await login(user);
        const ended = await login(user);
        await refresh(refreshed.refresh_token).expect(200);
        await t.http.post('/api/auth/logout').set(auth(ended.access_token)).expect(204);
        // Notifications arrive in commit order: once the logout's is here, the refresh's would have been too.
        await waitFor(
          async () => (received.includes(`session:${sessionIdOf(ended.access_token)}`) ? true : undefined),
          5000,
        );
        expect(received).not.toContain(`session:${sessionIdOf(refreshed.access_token)}`);
      } finally {
        await listener.end();
      }
    });

    it('prunes sessions seven days after they expired or were revoked, with their spent tokens', async () => {
      const user = await activeUser();
      const pairs = [await login(user), await login(user), await login(user)];
      const [oldExpired, oldRevoked, recent] = pairs.map((pair) => sessionIdOf(pair.access_token));
      await refresh(pairs[0].refresh_token).expect(200);
      await t.db.query(`UPDATE sessions SET expires_at = now() - interval '8 days' WHERE id = $1`, [oldExpired]);
      await t.db.query(`UPDATE sessions SET revoked_at = now() - interval '8 days' WHERE id = $1`, [oldRevoked]);
      await t.db.query(`UPDATE sessions SET expires_at = now() - interval '1 day' WHERE id = $1`, [recent]);
      await t.app.get(SessionRetentionService).pruneEnded();
      const { rows } = await t.db.query('SELECT id FROM sessions WHERE id = ANY($1)', [
        [oldExpired, oldRevoked, recent],
      ]);
      expect(rows).toEqual([{ id: recent }]);
      const spent = await t.db.query('SELECT 1 FROM spent_refresh_tokens WHERE session_id = $1', [oldExpired]);
      expect(spent.rows).toEqual([]);
    });
  });
});

describe('Session expiry (REFRESH_TOKEN_TTL=2)', () => {
  let t: TestApp;

  beforeAll(async () => {
    t = await startTestApp({ env: { REFRESH_TOKEN_TTL: '2', JWT_EXPIRES_IN: '900' } });
  });
  afterAll(() => t.close());

  it('ends the session REFRESH_TOKEN_TTL after login, however often it was refreshed: both tokens then fail', async () => {
    const login = await t.http.post('/api/auth/login').send(credentials(ADMIN)).expect(200);
    const first = login.body as TokenPair;
    expect(first.refresh_expires_in).toBeLessThanOrEqual(2);
    const second = (await t.http.post('/api/auth/refresh').send({ refresh_token: first.refresh_token }).expect(200))
      .body as TokenPair;
    expect(second.refresh_expires_in).toBeLessThanOrEqual(2);
    await waitFor(async () => {
      const status = (await t.http.get('/api/auth/me').set(auth(second.access_token))).status;
      return status === 401 ? true : undefined;
    }, 10_000);
    const expired = await t.http.post('/api/auth/refresh').send({ refresh_token: second.refresh_token }).expect(401);
    expect(expired.body).toEqual(INVALID_REFRESH);
  }, 20_000);
});
