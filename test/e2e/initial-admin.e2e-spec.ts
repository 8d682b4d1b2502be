import { ADMIN, startTestApp, TestApp } from '../support/test-app';
import { createTestDatabase } from '../support/test-database';

// Each test starts the app up to three times, with argon2 hashing at each: more than Jest's 5 s on a busy machine.
jest.setTimeout(60_000);

describe('ADMIN_EMAIL / ADMIN_PASSWORD at start', () => {
  const stop = async (t: TestApp) => {
    await t.db.end();
    await t.app.close();
  };

  it('creates the superuser only when none exists, and never touches an existing user', async () => {
    const database = await createTestDatabase();
    try {
      const first = await startTestApp({ databaseUrl: database.url, env: { REGISTER_RATE_LIMIT: '10' } });
      const pending = { email: 'someone@example.com', password: 'Pending123', full_name: 'Someone' };
      await first.http.post('/api/auth/register').send(pending).expect(201);
      await stop(first);

      // A superuser exists: a second ADMIN_EMAIL is not created.
      const second = await startTestApp({
        databaseUrl: database.url,
        env: { ADMIN_EMAIL: 'second@example.com', ADMIN_PASSWORD: 'Second1234' },
      });
      const { rows: seconds } = await second.db.query(`SELECT 1 FROM users WHERE email = 'second@example.com'`);
      expect(seconds).toHaveLength(0);

      // No superuser, and ADMIN_EMAIL names an existing user: that user is left as it was.
      await second.db.query(`UPDATE users SET is_superuser = false`);
      await stop(second);
      const third = await startTestApp({
        databaseUrl: database.url,
        env: { ADMIN_EMAIL: pending.email, ADMIN_PASSWORD: 'Other1234' },
      });
      const { rows } = await third.db.query(`SELECT status, is_superuser FROM users WHERE email = $1`, [pending.email]);
      expect(rows).toEqual([{ status: 'pending', is_superuser: false }]);
      await third.http.post('/api/auth/login').send({ email: pending.email, password: 'Other1234' }).expect(401);
      await stop(third);
    } finally {
      await database.drop();
    }
  });

  it('audits the superuser it creates in the same transaction, made by the system (item 7)', async () => {
    const t = await startTestApp();
    try {
      // Read at once: a row on its way through the quarter-second batch would not be there yet.
      const [{ id }] = (await t.db.query('SELECT id FROM users WHERE email = $1', [ADMIN.email])).rows;
      const { rows } = await t.db.query(
        `SELECT time, actor_id, target_id, details FROM audit_events WHERE event = 'user_created'`,
      );
      expect(rows).toEqual([
        {
          time: expect.any(Date),
          actor_id: null,
          target_id: id,
          details: {
            email: ADMIN.email,
            user_id: id,
            is_active: true,
            is_superuser: true,
            actor: 'system',
            via: 'ADMIN_EMAIL',
          },
        },
      ]);
      expect(t.securityEvents()).toContainEqual(
        expect.objectContaining({ event: 'user_created', time: rows[0].time.toISOString(), actor: 'system' }),
      );
      const token = await t.login(ADMIN.email, ADMIN.password);
      const listed = await t.http
        .get('/api/admin/audit')
        .query({ event: 'user_created' })
        .set('Authorization', `Bearer ${token}`)
        .expect(200);
      expect(listed.body).toEqual([
        expect.objectContaining({ actor_id: null, details: expect.objectContaining({ actor: 'system' }) }),
      ]);
    } finally {
      await t.close();
    }
  });

  it('refuses to start with an ADMIN_PASSWORD that breaks the password rules', async () => {
    await expect(startTestApp({ env: { ADMIN_EMAIL: 'weak@example.com', ADMIN_PASSWORD: 'weak' } })).rejects.toThrow(
      /ADMIN_PASSWORD is not acceptable/,
    );
    expect(ADMIN.password).toBe('AdminPass123');
  });

  it('stores ADMIN_EMAIL in the normal form, so that either spelling of its domain logs in (defect 14)', async () => {
    const t = await startTestApp({ env: { ADMIN_EMAIL: ' Boss@Bücher.Example ', ADMIN_PASSWORD: 'BossPass123' } });
    try {
      const { rows } = await t.db.query('SELECT email FROM users WHERE is_superuser');
      expect(rows).toEqual([{ email: 'boss@xn--bcher-kva.example' }]);
      await t.http.post('/api/auth/login').send({ email: 'boss@bücher.example', password: 'BossPass123' }).expect(200);
      await t.http
        .post('/api/auth/login')
        .send({ email: 'BOSS@xn--bcher-kva.example', password: 'BossPass123' })
        .expect(200);
    } finally {
      await t.close();
    }
  });

  it('refuses to start with an ADMIN_EMAIL that mixes scripts, naming the variable', async () => {
    await expect(
      startTestApp({ env: { ADMIN_EMAIL: 'аdmin@example.com', ADMIN_PASSWORD: 'AdminPass123' } }),
    ).rejects.toThrow(/ADMIN_EMAIL: email must not mix scripts/);
  });
});
