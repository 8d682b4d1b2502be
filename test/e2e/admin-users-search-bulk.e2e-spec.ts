import { randomUUID } from 'node:crypto';
import { SmtpSink } from '../support/smtp-sink';
import { ADMIN, closeAll, credentials, newUser, startTestApp, TestApp } from '../support/test-app';

jest.setTimeout(60_000);

interface UserBody {
  id: string;
  email: string;
  full_name: string;
  status: string;
  is_superuser: boolean;
}

describe('Admin user search, one user, and bulk actions (real HTTP, real PostgreSQL, real SMTP)', () => {
  const sink = new SmtpSink();
  let t: TestApp;
  let adminToken: string;
  let adminId: string;

  const auth = (token: string) => ({ Authorization: `Bearer ${token}` });
  const register = async (overrides: Record<string, unknown> = {}) => {
    const body = newUser(overrides);
    const response = await t.http.post('/api/auth/register').send(body).expect(201);
    return { ...body, id: response.body.id as string };
  };
  const act = (action: string, id: string, token = adminToken) =>
    t.http.post(`/api/admin/users/${id}/${action}`).set(auth(token));
  const bulk = (body: object, token = adminToken) => t.http.post('/api/admin/users/bulk').set(auth(token)).send(body);
  const activeUser = async (overrides: Record<string, unknown> = {}) => {
    const user = await register(overrides);
    await act('activate', user.id).expect(200);
    return { ...user, token: await t.login(user.email, user.password) };
  };
  const ids = (body: UserBody[]) => body.map((user) => user.id);
  const search = async (query: string) => {
    const response = await t.http.get(`/api/admin/users?${query}`).set(auth(adminToken)).expect(200);
    return { ids: ids(response.body as UserBody[]), total: Number(response.headers['x-total-count']) };
  };
  const adminActions = (targetId: string) =>
    t.securityEvents().filter((event) => event.event === 'admin_action' && event.target_id === targetId);

  beforeAll(async () => {
    await sink.start();
    t = await startTestApp({
      env: {
        REGISTER_RATE_LIMIT: '1000',
        LOGIN_RATE_LIMIT: '1000',
        SMTP_URL: sink.url,
        MAIL_POLL_INTERVAL_MS: '100',
        // Only the activation notices are under test here, not the sign-up e-mails.
        EMAIL_VERIFICATION: 'off',
        ADMIN_NOTIFY: 'off',
      },
    });
    adminToken = await t.login(ADMIN.email, ADMIN.password);
    adminId = (await t.http.get('/api/auth/me').set(auth(adminToken)).expect(200)).body.id;
  });
  afterAll(async () => {
    await closeAll(t);
    await sink.stop();
  });

  describe('GET /api/admin/users with filters', () => {
    // A word no other user of this file has, so each search below knows every user it must find.
    const word = `zq${Date.now().toString(36)}`;
    let alice: { id: string; email: string };
    let bob: { id: string };
    let carol: { id: string };
    let dan: { id: string };

    beforeAll(async () => {
      alice = await activeUser({ email: `${word}.alice@example.com`, full_name: 'Alice Liddell' });
      bob = await register({ full_name: `Bob 100% ${word.toUpperCase()}` });
      carol = await register({ email: `carol.${word}@example.com`, full_name: 'Carol_Smith' });
      dan = await activeUser({ full_name: `Dan \\ ${word}` });
      await act('promote', dan.id).expect(200);
      await act('deactivate', carol.id).expect(200);
    });

    it('matches the text in the e-mail or the full name, case-insensitively, oldest first', async () => {
      expect(await search(`q=${word}`)).toEqual({ ids: [alice.id, bob.id, carol.id, dan.id], total: 4 });
      expect(await search(`q=${word.toUpperCase()}.ALICE`)).toEqual({ ids: [alice.id], total: 1 });
      expect(await search('q=liddell')).toEqual({ ids: [alice.id], total: 1 });
    });

    it('takes %, _ and \\ literally', async () => {
      expect(await search('q=%25')).toEqual({ ids: [bob.id], total: 1 });
      expect(await search('q=_')).toEqual({ ids: [carol.id], total: 1 });
      expect(await search('q=%5C')).toEqual({ ids: [dan.id], total: 1 });
      expect(await search('q=100%25%20')).toEqual({ ids: [bob.id], total: 1 });
      expect(await search('q=l_ddell')).toEqual({ ids: [], total: 0 });
    });

    it('filters by status and by is_superuser, alone and combined with the text', async () => {
      expect(await search(`q=${word}&status=active`)).toEqual({ ids: [alice.id, dan.id], total: 2 });
      expect(await search(`q=${word}&status=pending`)).toEqual({ ids: [bob.id], total: 1 });
      expect(await search(`q=${word}&status=deactivated`)).toEqual({ ids: [carol.id], total: 1 });
      expect(await search(`q=${word}&is_superuser=true`)).toEqual({ ids: [dan.id], total: 1 });
      expect(await search(`q=${word}&is_superuser=false`)).toEqual({ ids: [alice.id, bob.id, carol.id], total: 3 });
      expect(await search(`q=${word}&status=active&is_superuser=false`)).toEqual({ ids: [alice.id], total: 1 });

      const admins = await search('is_superuser=true&limit=1000');
      const { rows } = await t.db.query('SELECT id FROM users WHERE is_superuser ORDER BY created_at, id');
      expect(admins).toEqual({ ids: rows.map((row: { id: string }) => row.id), total: rows.length });
      const pending = await search('status=pending&limit=1000');
      const stored = await t.db.query("SELECT id FROM users WHERE status = 'pending' ORDER BY created_at, id");
      expect(pending.ids).toEqual(stored.rows.map((row: { id: string }) => row.id));
    });

    it('pages through the matches with X-Total-Count of all matches', async () => {
      expect(await search(`q=${word}&skip=1&limit=2`)).toEqual({ ids: [bob.id, carol.id], total: 4 });
      expect(await search(`q=${word}&skip=4`)).toEqual({ ids: [], total: 4 });
    });

    it('without filters, or with an empty q, lists every user as before', async () => {
      const { rows } = await t.db.query('SELECT id FROM users ORDER BY created_at, id');
      const all = rows.map((row: { id: string }) => row.id);
      expect(await search('limit=1000')).toEqual({ ids: all, total: all.length });
      expect(await search('q=&limit=1000')).toEqual({ ids: all, total: all.length });
    });

    it('can answer a text search from the trigram indexes instead of reading every user', async () => {
      const client = t.db;
      await client.query('BEGIN');
      try {
        await client.query('SET LOCAL enable_seqscan = off');
        const { rows } = await client.query(
          "EXPLAIN SELECT id FROM users WHERE email ILIKE '%liddell%' OR full_name ILIKE '%liddell%'",
        );
        const plan = rows.map((row: { 'QUERY PLAN': string }) => row['QUERY PLAN']).join('\n');
        expect(plan).toContain('users_email_trgm_idx');
        expect(plan).toContain('users_full_name_trgm_idx');
      } finally {
        await client.query('ROLLBACK');
      }
    });

    it.each([
      ['is_superuser=1', 'is_superuser must be true or false'],
      ['is_superuser=TRUE', 'is_superuser must be true or false'],
      ['is_superuser=yes', 'is_superuser must be true or false'],
      ['is_superuser=', 'is_superuser must be true or false'],
      ['status=inactive', 'status must be one of the following values: pending, active, deactivated'],
      [`q=${'a'.repeat(255)}`, 'q must be shorter than or equal to 254 characters'],
      ['q=a%00b', 'q must not contain NUL characters'],
      ['q=a&q=b', 'q must be a string'],
      ['sort=email', 'property sort should not exist'],
    ])('refuses %s with 422', async (query, message) => {
      const response = await t.http.get(`/api/admin/users?${query}`).set(auth(adminToken)).expect(422);
      expect(response.body).toMatchObject({ statusCode: 422, error: 'Unprocessable Entity' });
      expect(response.body.message).toContain(message);
    });
  });

  it('documents the filters, the one-user route and the bulk route in OpenAPI', async () => {
    const document = (await t.http.get('/docs-json').expect(200)).body;
    const list = document.paths['/api/admin/users'].get;
    expect(list.parameters.map((parameter: { name: string }) => parameter.name)).toEqual(
      expect.arrayContaining(['skip', 'limit', 'q', 'status', 'is_superuser']),
    );
    const one = document.paths['/api/admin/users/{id}'].get;
    expect(Object.keys(one.responses)).toEqual(expect.arrayContaining(['200', '401', '403', '404']));
    const bulkRoute = document.paths['/api/admin/users/bulk'].post;
    expect(Object.keys(bulkRoute.responses)).toEqual(expect.arrayContaining(['200', '401', '403', '422']));
    expect(document.components.schemas.BulkUserActionDto.properties.ids).toMatchObject({ maxItems: 1000 });
    expect(document.components.schemas.BulkActionResponseDto.properties.results.items.oneOf).toHaveLength(2);
  });

  describe('GET /api/admin/users/{id}', () => {
    it('answers the user as the listing shows it', async () => {
      const user = await register();
      const one = await t.http.get(`/api/admin/users/${user.id}`).set(auth(adminToken)).expect(200);
      const listed = (await t.http.get('/api/admin/users?limit=1000').set(auth(adminToken)).expect(200)).body;
      expect(one.body).toEqual(listed.find((entry: UserBody) => entry.id === user.id));
      expect(one.body).toMatchObject({ email: user.email, status: 'pending', is_superuser: false });
      expect(one.body).not.toHaveProperty('hashed_password');
    });

    it.each([randomUUID(), 'not-a-uuid', '1', "1' OR '1'='1"])('answers 404 User not found to %s', async (id) => {
      const response = await t.http
        .get(`/api/admin/users/${encodeURIComponent(id)}`)
        .set(auth(adminToken))
        .expect(404);
      expect(response.body).toEqual({ statusCode: 404, error: 'Not Found', message: 'User not found' });
    });

    it('is for superusers only (401 without a token, 403 for a user)', async () => {
      const user = await activeUser();
      await t.http.get(`/api/admin/users/${user.id}`).expect(401);
      const refused = await t.http.get(`/api/admin/users/${user.id}`).set(auth(user.token)).expect(403);
      expect(refused.body.message).toBe('Admin privileges required');
      await bulk({ action: 'activate', ids: [user.id] }, user.token).expect(403);
      await t.http
        .post('/api/admin/users/bulk')
        .send({ action: 'activate', ids: [user.id] })
        .expect(401);
    });
  });

  describe('POST /api/admin/users/bulk', () => {
    it('handles each id in request order: unknown and malformed ids are 404, the others done', async () => {
      const first = await register();
      const second = await register();
      const unknown = randomUUID();
      const response = await bulk({ action: 'activate', ids: [first.id, unknown, 'not-a-uuid', second.id] }).expect(
        200,
      );
      expect(response.body.results).toEqual([
        { id: first.id, ok: true, user: expect.objectContaining({ id: first.id, status: 'active', is_active: true }) },
        { id: unknown, ok: false, statusCode: 404, message: 'User not found' },
        { id: 'not-a-uuid', ok: false, statusCode: 404, message: 'User not found' },
        { id: second.id, ok: true, user: expect.objectContaining({ id: second.id, status: 'active' }) },
      ]);
      const { rows } = await t.db.query('SELECT status FROM users WHERE id = ANY($1)', [[first.id, second.id]]);
      expect(rows).toEqual([{ status: 'active' }, { status: 'active' }]);
      await t.http.post('/api/auth/login').send(credentials(first)).expect(200);
    });

    it('sends each activated user the activation e-mail, as the single route does, and none to one already active', async () => {
      const pending = await register();
      const deactivated = await activeUser();
      await act('deactivate', deactivated.id).expect(200);
      const active = await activeUser();
      await sink.waitFor(active.email);
      const results = (await bulk({ action: 'activate', ids: [pending.id, deactivated.id, active.id] }).expect(200))
        .body.results;
      expect(results.map((result: { ok: boolean }) => result.ok)).toEqual([true, true, true]);
      expect((await sink.waitFor(pending.email))[0].subject).toContain('Your account is active');
      expect(await sink.waitFor(deactivated.email, 2)).toHaveLength(2);
      const { rows } = await t.db.query('SELECT count(*)::int AS n FROM mail_outbox WHERE recipient = $1', [
        active.email,
      ]);
      expect(rows[0].n).toBe(1);
    });

    it('writes the same security log line per id as the single route', async () => {
      const single = await register();
      const inBulk = await register();
      await act('activate', single.id).expect(200);
      await bulk({ action: 'activate', ids: [inBulk.id] }).expect(200);
      const [singleLine] = adminActions(single.id);
      const [bulkLine] = adminActions(inBulk.id);
      const shape = ({ time: _time, target_id: _id, target_email: _email, ...rest }: Record<string, unknown>) => rest;
      expect(shape(bulkLine)).toEqual(shape(singleLine));
      expect(bulkLine).toMatchObject({ action: 'activate', actor_id: adminId, target_email: inBulk.email });
    });

    it('refuses to deactivate or demote the caller, per id, and still does the others', async () => {
      const other = await activeUser();
      const deactivated = await bulk({ action: 'deactivate', ids: [adminId, other.id] }).expect(200);
      expect(deactivated.body.results).toEqual([
        { id: adminId, ok: false, statusCode: 400, message: 'Cannot deactivate your own account' },
        { id: other.id, ok: true, user: expect.objectContaining({ status: 'deactivated' }) },
      ]);
      await t.http.get('/api/auth/me').set(auth(other.token)).expect(401);

      const colleague = await activeUser();
      await act('promote', colleague.id).expect(200);
      const demoted = await bulk({ action: 'demote', ids: [adminId, colleague.id] }).expect(200);
      expect(demoted.body.results).toEqual([
        { id: adminId, ok: false, statusCode: 400, message: 'Cannot demote yourself' },
        { id: colleague.id, ok: true, user: expect.objectContaining({ is_superuser: false }) },
      ]);
      await t.http.get('/api/admin/users').set(auth(colleague.token)).expect(403);
      await t.http.get('/api/admin/users').set(auth(adminToken)).expect(200);
      expect(adminActions(adminId)).toEqual([]);
    });

    it('answers 400 per id for an already-admin promote and a not-admin demote', async () => {
      const plain = await activeUser();
      const promoted = await bulk({ action: 'promote', ids: [adminId, plain.id] }).expect(200);
      expect(promoted.body.results).toEqual([
        { id: adminId, ok: false, statusCode: 400, message: 'User is already an admin' },
        { id: plain.id, ok: true, user: expect.objectContaining({ is_superuser: true }) },
      ]);
      const stranger = await activeUser();
      const demoted = await bulk({ action: 'demote', ids: [stranger.id, plain.id] }).expect(200);
      expect(demoted.body.results).toEqual([
        { id: stranger.id, ok: false, statusCode: 400, message: 'User is not an admin' },
        { id: plain.id, ok: true, user: expect.objectContaining({ is_superuser: false }) },
      ]);
    });

    const anyId = () => randomUUID();
    it.each([
      ['no ids', () => ({ action: 'activate', ids: [] }), 'ids must contain at least 1 elements'],
      [
        '1001 ids',
        (target: string) => ({ action: 'activate', ids: [target, ...Array.from({ length: 1000 }, anyId)] }),
        'ids must contain no more than 1000 elements',
      ],
      [
        'an unknown action',
        (target: string) => ({ action: 'delete', ids: [target] }),
        'action must be one of the following values: activate, deactivate, promote, demote',
      ],
      ['no action', (target: string) => ({ ids: [target] }), 'action must be one of the following values'],
      ['ids not an array', (target: string) => ({ action: 'activate', ids: target }), 'ids must be an array'],
      [
        'an id that is not a string',
        (target: string) => ({ action: 'activate', ids: [target, 7] }),
        'each value in ids must be a string',
      ],
      [
        'an id given twice, in another letter case',
        (target: string) => ({ action: 'activate', ids: [target, target.toUpperCase()] }),
        'ids must not contain the same id twice',
      ],
      [
        'an extra field',
        (target: string) => ({ action: 'activate', ids: [target], force: true }),
        'property force should not exist',
      ],
    ])('refuses %s with 422, doing nothing', async (_case, body, message) => {
      const target = await register();
      const response = await bulk(body(target.id)).expect(422);
      expect(response.body).toMatchObject({ statusCode: 422, error: 'Unprocessable Entity' });
      expect(response.body.message.join('\n')).toContain(message);
      const { rows } = await t.db.query('SELECT status FROM users WHERE id = $1', [target.id]);
      expect(rows[0].status).toBe('pending');
    });

    it('answers 1000 ids as their single routes would: same results, one log line and audit row per change, same e-mails', async () => {
      const probe = await register();
      await act('activate', probe.id).expect(200);
      // The single route's line, to which each bulk line must be identical but for the user it names.
      const [{ time: _time, target_id: _id, target_email: _email, ...singleLine }] = adminActions(probe.id);
      const { ip } = singleLine;
      // Every combination the rules look at: pending, active and deactivated users, admins among each.
      const tag = randomUUID();
      const created = (
        await t.db.query(
          `INSERT INTO users (email, full_name, hashed_password, status, is_superuser)
           SELECT 'bulk-' || n || '-' || $1 || '@example.com', 'Bulk ' || n, 'not-a-hash',
                  (ARRAY['pending', 'active', 'deactivated'])[n % 3 + 1], n % 7 = 0
             FROM generate_series(1, 990) AS n
           RETURNING id, email, status, is_superuser`,
          [tag],
        )
      ).rows as Array<{ id: string; email: string; status: string; is_superuser: boolean }>;
      const unknown = Array.from({ length: 8 }, () => randomUUID());
      const requested = [...created.slice(0, 500).map((row) => row.id), adminId, ...unknown, 'not-a-uuid'];
      requested.push(...created.slice(500).map((row) => row.id));
      expect(requested).toHaveLength(1000);
      const rowOf = new Map(created.map((row) => [row.id, row]));
      const notFound = (id: string) => ({ id, ok: false, statusCode: 404, message: 'User not found' });
      const linesByTarget = () => {
        const lines = new Map<string, Array<Record<string, unknown>>>();
        for (const line of t.securityEvents().filter((event) => event.event === 'admin_action')) {
          const target = line.target_id as string;
          lines.set(target, [...(lines.get(target) ?? []), line]);
        }
        return lines;
      };
      const auditRowCount = async (action: string) =>
        (
          await t.db.query(
            `SELECT count(*)::int AS n FROM audit_events
              WHERE event = 'admin_action' AND details->>'action' = $1 AND target_id = ANY($2)`,
            [action, created.map((row) => row.id)],
          )
        ).rows[0].n as number;

      const activated = (await bulk({ action: 'activate', ids: requested }).expect(200)).body.results;
      expect(activated).toEqual(
        requested.map((id) => {
          if (id === adminId) return { id, ok: true, user: expect.objectContaining({ id, is_superuser: true }) };
          const row = rowOf.get(id);
          if (!row) return notFound(id);
          return {
            id,
            ok: true,
            user: expect.objectContaining({ id, email: row.email, status: 'active', is_superuser: row.is_superuser }),
          };
        }),
      );
      let lines = linesByTarget();
      for (const row of created) {
        expect(lines.get(row.id)).toEqual([
          {
            ...singleLine,
            time: expect.any(String),
            target_id: row.id,
            target_email: row.email,
            is_superuser: row.is_superuser,
          },
        ]);
      }
      expect(await auditRowCount('activate')).toBe(990);
      const notices = (
        await t.db.query(
          `SELECT recipient, count(*)::int AS n FROM mail_outbox
            WHERE kind = 'account_activated' AND recipient LIKE $1 GROUP BY recipient ORDER BY recipient`,
          [`%-${tag}@example.com`],
        )
      ).rows;
      expect(notices).toEqual(
        created
          .filter((row) => row.status !== 'active')
          .map((row) => ({ recipient: row.email, n: 1 }))
          .sort((a, b) => (a.recipient < b.recipient ? -1 : 1)),
      );

      const demoted = (await bulk({ action: 'demote', ids: requested }).expect(200)).body.results;
      expect(demoted).toEqual(
        requested.map((id) => {
          if (id === adminId) return { id, ok: false, statusCode: 400, message: 'Cannot demote yourself' };
          const row = rowOf.get(id);
          if (!row) return notFound(id);
          return row.is_superuser
            ? { id, ok: true, user: expect.objectContaining({ id, status: 'active', is_superuser: false }) }
            : { id, ok: false, statusCode: 400, message: 'User is not an admin' };
        }),
      );
      lines = linesByTarget();
      for (const row of created) {
        const demotions = (lines.get(row.id) ?? []).filter((line) => line.action === 'demote');
        expect(demotions).toEqual(
          row.is_superuser
            ? [expect.objectContaining({ ip, actor_id: adminId, is_active: true, is_superuser: false })]
            : [],
        );
      }
      expect(await auditRowCount('demote')).toBe(created.filter((row) => row.is_superuser).length);
    });

    it('lets bulk and single actions on the same users wait for one another, whatever their order, none failing', async () => {
      const ids = (
        await t.db.query(
          `INSERT INTO users (email, full_name, hashed_password, status)
           SELECT 'overlap-' || n || '-' || $1 || '@example.com', 'Overlap ' || n, 'not-a-hash', 'pending'
             FROM generate_series(1, 300) AS n
           RETURNING id`,
          [randomUUID()],
        )
      ).rows.map((row: { id: string }) => row.id);
      const shuffled = [...ids].sort(() => Math.random() - 0.5);
      const responses = await Promise.all([
        bulk({ action: 'activate', ids }),
        bulk({ action: 'deactivate', ids: [...ids].reverse() }),
        bulk({ action: 'promote', ids: shuffled }),
        bulk({ action: 'activate', ids: shuffled.slice(100) }),
        ...ids.slice(0, 10).map((id) => act('deactivate', id)),
      ]);
      for (const response of responses) expect(response.status).toBe(200);
      for (const response of responses.slice(0, 4)) {
        expect(response.body.results.every((result: { ok: boolean }) => result.ok)).toBe(true);
      }
    });

    it('takes 1000 ids', async () => {
      const user = await register();
      const ids1000 = [user.id, ...Array.from({ length: 999 }, () => randomUUID())];
      const started = Date.now();
      const response = await bulk({ action: 'activate', ids: ids1000 }).expect(200);
      const elapsed = Date.now() - started;
      expect(response.body.results).toHaveLength(1000);
      expect(response.body.results[0]).toMatchObject({ id: user.id, ok: true });
      expect(response.body.results.slice(1).every((result: { statusCode: number }) => result.statusCode === 404)).toBe(
        true,
      );
      expect(elapsed).toBeLessThan(20_000);
    });
  });
});
