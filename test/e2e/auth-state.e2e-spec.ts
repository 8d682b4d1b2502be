import { AsyncLocalStorage } from 'node:async_hooks';
import { IncomingMessage } from 'node:http';
import { DataSource } from 'typeorm';
import { AUTH_LISTENER_APPLICATION_NAME } from '../../src/auth/auth-state/auth-change-feed';
import { AuthStateCache } from '../../src/auth/auth-state/auth-state-cache.service';
import { ADMIN, closeAll, newUser, startTestApp, TestApp } from '../support/test-app';
import { waitFor } from '../support/wait';

// Two apps start in one beforeAll, on a machine that may be busy.
jest.setTimeout(30_000);

const auth = (token: string) => ({ Authorization: `Bearer ${token}` });
const LIMITS = { REGISTER_RATE_LIMIT: '1000', LOGIN_RATE_LIMIT: '1000' };

/**
 * Counts the statements naming the users or sessions table that an app sends through its DataSource (every
 * repository query goes through it): the per-request check's only queries when it misses. The app's
 * background work (mail outbox, ban engine, audit writer) queries other tables and would blur a count of
 * every statement.
 */
function userQueryCounter(app: TestApp): { count: number } {
  const counter = { count: 0 };
  app.app.get(DataSource).subscribers.push({
    afterQuery: (event) => {
      if (/\b(users|sessions)\b/i.test(event.query)) counter.count += 1;
    },
  });
  return counter;
}

/** An active user of `app`, logged in (a session of its own). */
async function activeUser(app: TestApp, adminToken: string) {
  const body = newUser();
  const { id } = (await app.http.post('/api/auth/register').send(body).expect(201)).body as { id: string };
  await app.http.post(`/api/admin/users/${id}/activate`).set(auth(adminToken)).expect(200);
  const login = await app.http.post('/api/auth/login').send({ email: body.email, password: body.password }).expect(200);
  const { access_token: token, refresh_token: refreshToken } = login.body as {
    access_token: string;
    refresh_token: string;
  };
  return { id, token, refreshToken, credentials: { email: body.email, password: body.password } };
}

/**
 * Until `requests` GETs of `path` in a row send no statement to the database (the steady state: a first
 * one loads the user; the instance's change feed may take a moment to prove itself current after a start).
 */
async function untilServedFromMemory(app: TestApp, counter: { count: number }, path: string, token: string) {
  await waitFor(async () => {
    await app.http.get(path).set(auth(token)).expect(200);
    const before = counter.count;
    for (let i = 0; i < 20; i++) await app.http.get(path).set(auth(token)).expect(200);
    return counter.count === before ? true : undefined;
  }, 5000);
}

/**
 * Counts every statement that `requests` GETs of `path` send to the database, and nothing else (not the
 * app's background work): the server's 'request' event enters an async context of its own for requests so
 * marked, and TypeORM's query events run in the context of the code that sent the statement.
 */
async function statementsSentBy(app: TestApp, path: string, token: string, requests: number): Promise<number> {
  const context = new AsyncLocalStorage<{ statements: number }>();
  const counter = { statements: 0 };
  const marker = `count-${Math.random()}`;
  const enterContext = (request: IncomingMessage) => {
    if (request.headers['x-count-statements'] === marker) context.enterWith(counter);
  };
  const subscriber = {
    afterQuery: () => {
      const store = context.getStore();
      if (store) store.statements += 1;
    },
  };
  const server = app.app.getHttpServer();
  const dataSource = app.app.get(DataSource);
  server.prependListener('request', enterContext);
  dataSource.subscribers.push(subscriber);
  try {
    for (let i = 0; i < requests; i++) {
      await app.http.get(path).set(auth(token)).set('x-count-statements', marker).expect(200);
    }
  } finally {
    server.removeListener('request', enterContext);
    dataSource.subscribers.splice(dataSource.subscribers.indexOf(subscriber), 1);
  }
  return counter.statements;
}

describe('Per-request auth state: one instance (real HTTP, real PostgreSQL)', () => {
  let t: TestApp;
  let adminToken: string;
  let queries: { count: number };

  beforeAll(async () => {
    t = await startTestApp({ env: LIMITS });
    queries = userQueryCounter(t);
    adminToken = await t.login(ADMIN.email, ADMIN.password);
  });
  afterAll(() => closeAll(t));

  it('answers GET /api/auth/me without any database statement in the steady state', async () => {
    const user = await activeUser(t, adminToken);
    await untilServedFromMemory(t, queries, '/api/auth/me', user.token);
    expect(await statementsSentBy(t, '/api/auth/me', user.token, 50)).toBe(0);
  });

  it('sees a deactivation on the very next request, though the user was served from memory', async () => {
    const user = await activeUser(t, adminToken);
    await untilServedFromMemory(t, queries, '/api/auth/me', user.token);
    await t.http.post(`/api/admin/users/${user.id}/deactivate`).set(auth(adminToken)).expect(200);
    await t.http.get('/api/auth/me').set(auth(user.token)).expect(401);
  });

  it('sees a demotion on the very next admin request, though the admin was served from memory', async () => {
    const user = await activeUser(t, adminToken);
    await t.http.post(`/api/admin/users/${user.id}/promote`).set(auth(adminToken)).expect(200);
    await untilServedFromMemory(t, queries, '/api/auth/me', user.token);
    await t.http.get('/api/admin/users').set(auth(user.token)).expect(200);
    await t.http.post(`/api/admin/users/${user.id}/demote`).set(auth(adminToken)).expect(200);
    await t.http.get('/api/admin/users').set(auth(user.token)).expect(403);
  });

  it('ends a session at logout: its access token is refused on the very next request', async () => {
    const user = await activeUser(t, adminToken);
    await untilServedFromMemory(t, queries, '/api/auth/me', user.token);
    await t.http.post('/api/auth/logout').set(auth(user.token)).expect(204);
    await t.http.get('/api/auth/me').set(auth(user.token)).expect(401);
  });

  it("revokes a session whose spent refresh token comes back: the session's access tokens stop at once", async () => {
    const user = await activeUser(t, adminToken);
    await untilServedFromMemory(t, queries, '/api/auth/me', user.token);
    const rotated = await t.http.post('/api/auth/refresh').send({ refresh_token: user.refreshToken }).expect(200);
    const newToken = (rotated.body as { access_token: string }).access_token;
    await untilServedFromMemory(t, queries, '/api/auth/me', newToken);
    // From another client: the same one would get its successor again within REFRESH_REUSE_GRACE.
    await t.http
      .post('/api/auth/refresh')
      .set('User-Agent', 'another-device/1')
      .send({ refresh_token: user.refreshToken })
      .expect(401);
    await t.http.get('/api/auth/me').set(auth(newToken)).expect(401);
    await t.http.get('/api/auth/me').set(auth(user.token)).expect(401);
  });

  it("sees the app's own writes before their notification could arrive, in a transaction or not", async () => {
    const user = await activeUser(t, adminToken);
    await untilServedFromMemory(t, queries, '/api/auth/me', user.token);
    const state = t.app.get(AuthStateCache);
    const dataSource = t.app.get(DataSource);
    // Each check follows its write within microtasks, before any notification can be read off a socket.
    await dataSource.query(`UPDATE users SET status = 'deactivated' WHERE id = $1`, [user.id]);
    expect((await state.user(user.id))?.status).toBe('deactivated');
    await dataSource.transaction(async (tx) => {
      await tx.query(`UPDATE users SET status = 'active' WHERE id = $1`, [user.id]);
      // Not committed yet: whoever loads now reads the old row, which must not outlive the commit.
      expect((await state.user(user.id))?.status).toBe('deactivated');
    });
    expect((await state.user(user.id))?.status).toBe('active');
    await t.http.get('/api/auth/me').set(auth(user.token)).expect(200);
  });

  it.each([
    ['a new device', false],
    ['a known device (its device cookie)', true],
  ])("keeps every other user and session in memory through a user's login from %s and refresh", async (_, known) => {
    const user = await activeUser(t, adminToken);
    const other = await activeUser(t, adminToken);
    const first = await t.http.post('/api/auth/login').send(other.credentials).expect(200);
    const deviceCookie = ((first.headers['set-cookie'] as unknown as string[] | undefined) ?? [])
      .find((line) => line.startsWith('regshield_device='))
      ?.split(';')[0];
    // Retried only for a moment when the change feed could not prove itself current (a loaded machine):
    // a login or refresh that dropped the whole cache would make the user's next request load it, every time.
    await waitFor(async () => {
      await untilServedFromMemory(t, queries, '/api/auth/me', user.token);
      const request = t.http.post('/api/auth/login');
      if (known) {
        if (!deviceCookie) throw new Error('the first login set no device cookie');
        request.set('Cookie', deviceCookie);
      }
      const login = await request.send(other.credentials).expect(200);
      await t.http
        .post('/api/auth/refresh')
        .send({ refresh_token: (login.body as { refresh_token: string }).refresh_token })
        .expect(200);
      return (await statementsSentBy(t, '/api/auth/me', user.token, 3)) === 0 ? true : undefined;
    }, 10_000);
  });

  it('keeps a refreshed session in memory: the new access token is checked without a statement', async () => {
    const user = await activeUser(t, adminToken);
    let refreshToken = user.refreshToken;
    await untilServedFromMemory(t, queries, '/api/auth/me', user.token);
    // Each try refreshes anew: a refresh that dropped the session would make the next request load it, every time.
    await waitFor(async () => {
      const rotated = await t.http.post('/api/auth/refresh').send({ refresh_token: refreshToken }).expect(200);
      const body = rotated.body as { access_token: string; refresh_token: string };
      refreshToken = body.refresh_token;
      return (await statementsSentBy(t, '/api/auth/me', body.access_token, 3)) === 0 ? true : undefined;
    }, 10_000);
  });

  it('sees a change written with plain SQL through the app (the login time) on the next request', async () => {
    const body = newUser();
    const { id } = (await t.http.post('/api/auth/register').send(body).expect(201)).body as { id: string };
    await t.http.post(`/api/admin/users/${id}/activate`).set(auth(adminToken)).expect(200);
    const token = await t.login(body.email, body.password);
    await untilServedFromMemory(t, queries, '/api/auth/me', token);
    const before = (await t.http.get('/api/auth/me').set(auth(token)).expect(200)).body.last_login_at as string;
    await t.login(body.email, body.password);
    const after = (await t.http.get('/api/auth/me').set(auth(token)).expect(200)).body.last_login_at as string;
    expect(new Date(after).getTime()).toBeGreaterThan(new Date(before).getTime());
  });
});

describe('Per-request auth state: AUTH_CACHE_MAX_ENTRIES=0 (real HTTP, real PostgreSQL)', () => {
  let t: TestApp;

  beforeAll(async () => {
    t = await startTestApp({ env: { AUTH_CACHE_MAX_ENTRIES: '0' } });
  });
  afterAll(() => closeAll(t));

  it('reads the user and the session on every request (and the counters see those reads)', async () => {
    const queries = userQueryCounter(t);
    const token = await t.login(ADMIN.email, ADMIN.password);
    const before = queries.count;
    for (let i = 0; i < 5; i++) await t.http.get('/api/auth/me').set(auth(token)).expect(200);
    expect(queries.count - before).toBe(10);
    expect(await statementsSentBy(t, '/api/auth/me', token, 5)).toBe(10);
  });
});

describe('Per-request auth state: two instances on one database (real HTTP, real PostgreSQL)', () => {
  let a: TestApp;
  let b: TestApp;
  let adminToken: string;
  let queriesOnB: { count: number };

  beforeAll(async () => {
    a = await startTestApp({ env: LIMITS });
    b = await startTestApp({ env: LIMITS, databaseUrl: a.databaseUrl });
    queriesOnB = userQueryCounter(b);
    adminToken = await a.login(ADMIN.email, ADMIN.password);
  });
  afterAll(() => closeAll(a, b));

  /** Milliseconds from `change` answered on A until B answers `path` with `status`. */
  async function timeUntilB(path: string, token: string, status: number, change: () => Promise<unknown>) {
    await change();
    const changedAt = Date.now();
    await waitFor(async () => ((await b.http.get(path).set(auth(token))).status === status ? true : undefined), 5000);
    return Date.now() - changedAt;
  }

  it('refuses on B within 1 s a user deactivated on A', async () => {
    const user = await activeUser(a, adminToken);
    await untilServedFromMemory(b, queriesOnB, '/api/auth/me', user.token);
    const elapsed = await timeUntilB('/api/auth/me', user.token, 401, () =>
      a.http.post(`/api/admin/users/${user.id}/deactivate`).set(auth(adminToken)).expect(200),
    );
    expect(elapsed).toBeLessThan(1000);
  });

  it('refuses admin routes on B within 1 s to an admin demoted on A', async () => {
    const user = await activeUser(a, adminToken);
    await a.http.post(`/api/admin/users/${user.id}/promote`).set(auth(adminToken)).expect(200);
    await untilServedFromMemory(b, queriesOnB, '/api/auth/me', user.token);
    await b.http.get('/api/admin/users').set(auth(user.token)).expect(200);
    const elapsed = await timeUntilB('/api/admin/users', user.token, 403, () =>
      a.http.post(`/api/admin/users/${user.id}/demote`).set(auth(adminToken)).expect(200),
    );
    expect(elapsed).toBeLessThan(1000);
  });

  it('refuses on B within 1 s a session ended on A (logout)', async () => {
    const user = await activeUser(a, adminToken);
    await untilServedFromMemory(b, queriesOnB, '/api/auth/me', user.token);
    const elapsed = await timeUntilB('/api/auth/me', user.token, 401, () =>
      a.http.post('/api/auth/logout').set(auth(user.token)).expect(204),
    );
    expect(elapsed).toBeLessThan(1000);
  });

  it("still refuses on B a user deactivated and a session ended while B's LISTEN connection is cut, and recovers", async () => {
    const user = await activeUser(a, adminToken);
    const other = await activeUser(a, adminToken);
    const loggedOut = await activeUser(a, adminToken);
    await untilServedFromMemory(b, queriesOnB, '/api/auth/me', user.token);
    await untilServedFromMemory(b, queriesOnB, '/api/auth/me', loggedOut.token);
    // Each spec has a database of its own: its auth listeners are those of A and B.
    const cutListeners = () =>
      a.db.query(
        `SELECT pg_terminate_backend(pid) FROM pg_stat_activity
          WHERE application_name = $1 AND datname = current_database()`,
        [AUTH_LISTENER_APPLICATION_NAME],
      );
    expect((await cutListeners()).rowCount).toBe(2);
    // Kept cut while the state changes, whatever the listeners' reconnection delays.
    let cutting = true;
    const keepCutting = (async () => {
      while (cutting) {
        await cutListeners();
        await new Promise((resolve) => setImmediate(resolve));
      }
    })();
    try {
      await a.http.post(`/api/admin/users/${user.id}/deactivate`).set(auth(adminToken)).expect(200);
      await b.http.get('/api/auth/me').set(auth(user.token)).expect(401);
      await a.http.post('/api/auth/logout').set(auth(loggedOut.token)).expect(204);
      await b.http.get('/api/auth/me').set(auth(loggedOut.token)).expect(401);
      await b.http.get('/api/auth/me').set(auth(other.token)).expect(200);
    } finally {
      cutting = false;
      await keepCutting;
    }
    // B reconnects, listens again and serves from memory again.
    await untilServedFromMemory(b, queriesOnB, '/api/auth/me', other.token);
    const elapsed = await timeUntilB('/api/auth/me', other.token, 401, () =>
      a.http.post(`/api/admin/users/${other.id}/deactivate`).set(auth(adminToken)).expect(200),
    );
    expect(elapsed).toBeLessThan(1000);
  });
});
