import { Client } from 'pg';

import { KnownDevicesService, MAX_KNOWN_DEVICES_PER_USER } from '../../src/devices/known-devices.service';
import { NEW_DEVICE_LOCK_KEY } from '../../src/devices/known-devices.repository';
import { ADMIN, closeAll, credentials, startTestApp, TestApp, useTestApp } from '../support/test-app';
import { LOCKOUT_ENV, deviceCookieLine, deviceCookieOf, registerUser } from '../support/sign-ins';
import { linkIn, SmtpSink } from '../support/smtp-sink';
import { createTestDatabase } from '../support/test-database';
import { eventually } from '../support/wait';

jest.setTimeout(60_000);

const INCORRECT = { statusCode: 401, error: 'Unauthorized', message: 'Incorrect email or password' };

function login(t: TestApp, body: Record<string, string>, cookie?: string) {
  const request = t.http.post('/api/auth/login');
  if (cookie !== undefined) void request.set('Cookie', cookie);
  return request.send(body);
}

/** Signs in as the owner would from a browser of its own, and returns that browser's device cookie. */
async function signInDevice(t: TestApp, user: { email: string; password: string }): Promise<string> {
  return deviceCookieOf(await login(t, credentials(user)).expect(200));
}

async function failLogins(t: TestApp, email: string, count: number, cookie?: string) {
  for (let attempt = 0; attempt < count; attempt += 1) {
    await login(t, { email, password: 'Wrong1234' }, cookie).expect(401);
  }
}

describe('Device cookies: the account lock spares devices that signed in before', () => {
  const sink = new SmtpSink();
  beforeAll(() => sink.start());
  afterAll(() => sink.stop());
  const t = useTestApp(() => ({ env: { ...LOCKOUT_ENV, SMTP_URL: sink.url, MAIL_POLL_INTERVAL_MS: '100' } }));

  it('sets a long-lived, HttpOnly, SameSite=Strict cookie for the login route on a successful sign-in only', async () => {
    const user = await registerUser(t);
    expect(deviceCookieLine(await login(t, { email: user.email, password: 'Wrong1234' }))).toBeUndefined();
    const line = deviceCookieLine(await login(t, credentials(user)).expect(200))!;
    const attributes = line.split(';').map((part) => part.trim());
    expect(attributes[0]).toMatch(/^regshield_device=v1\.[0-9a-f-]{36}\.[0-9a-f-]{36}\.[\w-]{43}$/);
    expect(attributes.slice(1).sort()).toEqual(
      ['HttpOnly', 'Max-Age=2592000', 'Path=/api/auth', 'SameSite=Strict', 'Secure'].sort(),
    );
    expect(attributes[0]).toContain(`.${user.id}.`);
    const { rows } = await t.db.query(`SELECT count(*)::int AS n FROM known_devices WHERE user_id = $1`, [user.id]);
    expect(rows[0].n).toBe(1);
  });

  it("lets the owner's device sign in while a stranger's failures keep the account locked to everyone else", async () => {
    const user = await registerUser(t);
    const ownerDevice = await signInDevice(t, user);

    // A stranger, from anywhere, without the cookie: three wrong passwords lock the account.
    const wrong = await login(t, { email: user.email, password: 'Wrong1234' }).expect(401);
    await failLogins(t, user.email, 2);
    const stranger = await login(t, credentials(user)).expect(401);
    expect(stranger.body).toEqual(INCORRECT);
    expect(stranger.body).toEqual(wrong.body);
    expect(Object.keys(stranger.headers).sort()).toEqual(Object.keys(wrong.headers).sort());
    expect(deviceCookieLine(stranger)).toBeUndefined();
    expect(t.securityEvents()).toContainEqual(expect.objectContaining({ event: 'account_locked', user_id: user.id }));

    // The owner's browser signs in as usual, and gets its cookie again (same device).
    const owner = await login(t, credentials(user), ownerDevice).expect(200);
    expect(deviceCookieOf(owner)).toBe(ownerDevice);
    await t.http.get('/api/auth/me').set('Authorization', `Bearer ${owner.body.access_token}`).expect(200);
    expect(t.securityEvents()).toContainEqual(
      expect.objectContaining({ event: 'login_succeeded', user_id: user.id, device_id: expect.any(String) }),
    );
    // Still locked for everyone else.
    expect((await login(t, credentials(user)).expect(401)).body).toEqual(INCORRECT);
  });

  it("leaves strangers' count alone when the owner signs in from a known device", async () => {
    const user = await registerUser(t);
    const ownerDevice = await signInDevice(t, user);
    await failLogins(t, user.email, 2);
    await login(t, credentials(user), ownerDevice).expect(200);
    await failLogins(t, user.email, 1);
    expect((await login(t, credentials(user)).expect(401)).body).toEqual(INCORRECT);
  });

  it("writes a known device's sign-in only when it changes the row: failures to start over, another client, a minute gone", async () => {
    const user = await registerUser(t);
    const laptop = await signInDevice(t, user);
    const device = async () =>
      (
        await t.db.query(`SELECT last_used_at, user_agent, failed_login_count FROM known_devices WHERE user_id = $1`, [
          user.id,
        ])
      ).rows[0] as { last_used_at: Date; user_agent: string | null; failed_login_count: number };
    const signedIn = await device();
    await login(t, credentials(user), laptop).expect(200);
    expect(await device()).toEqual(signedIn);

    await failLogins(t, user.email, 1, laptop);
    expect((await device()).failed_login_count).toBe(1);
    await login(t, credentials(user), laptop).expect(200);
    expect((await device()).failed_login_count).toBe(0);

    const fromCurl = () =>
      t.http.post('/api/auth/login').set('Cookie', laptop).set('User-Agent', 'curl/8.5.0').send(credentials(user));
    await fromCurl().expect(200);
    expect((await device()).user_agent).toBe('curl/8.5.0');

    await t.db.query(`UPDATE known_devices SET last_used_at = now() - interval '2 minutes' WHERE user_id = $1`, [
      user.id,
    ]);
    const before = Date.now();
    await fromCurl().expect(200);
    expect((await device()).last_used_at.getTime()).toBeGreaterThan(before - 5_000);
  });

  it("counts the failures of the owner's device on that device alone: it locks, the account and other devices do not", async () => {
    const user = await registerUser(t);
    const laptop = await signInDevice(t, user);
    const phone = await signInDevice(t, user);
    expect(phone).not.toBe(laptop);

    await failLogins(t, user.email, 3, laptop);
    const locked = await login(t, credentials(user), laptop).expect(401);
    expect(locked.body).toEqual(INCORRECT);
    expect(deviceCookieLine(locked)).toBeUndefined();
    expect(t.securityEvents()).toContainEqual(
      expect.objectContaining({ event: 'device_locked', user_id: user.id, lock_seconds: 600 }),
    );
    expect(t.securityEvents()).toContainEqual(
      expect.objectContaining({ event: 'login_failed', email: user.email, reason: 'device_locked' }),
    );
    expect(t.securityEvents()).not.toContainEqual(
      expect.objectContaining({ event: 'account_locked', user_id: user.id }),
    );

    await login(t, credentials(user), phone).expect(200);
    await login(t, credentials(user)).expect(200);

    // An admin's unlock ends the device's lock too.
    const adminToken = await t.login(ADMIN.email, ADMIN.password);
    await t.http.delete(`/api/admin/users/${user.id}/lockout`).set('Authorization', `Bearer ${adminToken}`).expect(204);
    await login(t, credentials(user), laptop).expect(200);
  });

  it("ends the device's lock with a password reset", async () => {
    const user = await registerUser(t);
    const laptop = await signInDevice(t, user);
    await failLogins(t, user.email, 3, laptop);
    await login(t, credentials(user), laptop).expect(401);
    await t.http.post('/api/auth/password/forgot').send({ email: user.email }).expect(202);
    const { token } = linkIn((await sink.waitFor(user.email))[0], '/reset-password');
    await t.http.post('/api/auth/password/reset').send({ token, new_password: 'Renewed1234' }).expect(204);
    await login(t, { email: user.email, password: 'Renewed1234' }, laptop).expect(200);
  });

  it("treats a forged or altered cookie, or another account's, as no cookie at all", async () => {
    const user = await registerUser(t);
    const other = await registerUser(t);
    const ownerDevice = await signInDevice(t, user);
    const otherDevice = await signInDevice(t, other);

    // Failures sent with another account's cookie count toward this account's lock, as without one.
    await failLogins(t, user.email, 3, otherDevice);
    expect(t.securityEvents()).toContainEqual(expect.objectContaining({ event: 'account_locked', user_id: user.id }));

    const [name, value] = ownerDevice.split('=');
    const [version, deviceId, userId, signature] = value.split('.');
    const otherDeviceId = otherDevice.split('=')[1].split('.')[1];
    const flipped = (signature[0] === 'A' ? 'B' : 'A') + signature.slice(1);
    for (const cookie of [
      otherDevice,
      `${name}=${[version, deviceId, userId, flipped].join('.')}`,
      `${name}=${[version, otherDeviceId, userId, signature].join('.')}`,
      `${name}=${[version, deviceId, userId].join('.')}`,
      `${name}=garbage`,
    ]) {
      const answer = await login(t, credentials(user), cookie).expect(401);
      expect(answer.body).toEqual(INCORRECT);
    }
    await login(t, credentials(user), ownerDevice).expect(200);
  });

  it('remembers at most 50 devices per account: a new one forgets the least recently used, the others stay', async () => {
    const user = await registerUser(t);
    const database = new Client({ connectionString: t.databaseUrl });
    await database.connect();
    try {
      // 50 devices used 1..50 minutes ago: the one of 50 minutes ago is the least recently used.
      await database.query(
        `INSERT INTO known_devices (user_id, last_ip, created_at, last_used_at)
         SELECT $1, '192.0.2.1', now() - make_interval(mins => i), now() - make_interval(mins => i)
           FROM generate_series(1, 50) i`,
        [user.id],
      );
      const oldest = await database.query<{ id: string }>(
        'SELECT id FROM known_devices WHERE user_id = $1 ORDER BY last_used_at LIMIT 1',
        [user.id],
      );
      const newDevice = (await signInDevice(t, user)).split('=')[1].split('.')[1];
      const { rows } = await database.query<{ id: string }>('SELECT id FROM known_devices WHERE user_id = $1', [
        user.id,
      ]);
      const kept = rows.map((row) => row.id);
      expect(kept).toHaveLength(50);
      expect(kept).toContain(newDevice);
      expect(kept).not.toContain(oldest.rows[0].id);
    } finally {
      await database.end();
    }
  });

  it("makes a new device's sign-in wait for its account's new-device lock, never a known device's", async () => {
    const user = await registerUser(t);
    const laptop = await signInDevice(t, user);
    // The test holds the account's new-device lock, as a new device's sign-in does until its commit.
    const holder = new Client({ connectionString: t.databaseUrl });
    await holder.connect();
    try {
      await holder.query('SELECT pg_advisory_lock($1, hashtext($2))', [NEW_DEVICE_LOCK_KEY, user.id]);
      const fromNewDevice = Promise.resolve(login(t, credentials(user)));
      await eventually(async () => {
        const { rows } = await holder.query<{ n: number }>(
          `SELECT count(*)::int AS n FROM pg_stat_activity
            WHERE datname = current_database() AND wait_event_type = 'Lock' AND wait_event = 'advisory'`,
        );
        return rows[0].n === 1;
      });
      // The hot path takes no such lock: a known device signs in while the new one waits.
      expect(deviceCookieOf(await login(t, credentials(user), laptop).expect(200))).toBe(laptop);
      await holder.query('SELECT pg_advisory_unlock($1, hashtext($2))', [NEW_DEVICE_LOCK_KEY, user.id]);
      const answer = await fromNewDevice;
      expect(answer.status).toBe(200);
      expect(deviceCookieOf(answer)).not.toBe(laptop);
    } finally {
      await holder.end();
    }
  });
});

describe('The prune of unused devices', () => {
  const t = useTestApp(() => ({ env: { ...LOCKOUT_ENV, DEVICE_COOKIE_TTL: '86400' } }));

  it('deletes devices unused past DEVICE_COOKIE_TTL but skips, without waiting, one whose row a transaction holds', async () => {
    const user = await registerUser(t);
    await signInDevice(t, user);
    await signInDevice(t, user);
    await t.db.query(`UPDATE known_devices SET last_used_at = now() - interval '2 days' WHERE user_id = $1`, [user.id]);
    const { rows } = await t.db.query<{ id: string }>(`SELECT id FROM known_devices WHERE user_id = $1 ORDER BY id`, [
      user.id,
    ]);
    expect(rows).toHaveLength(2);
    // A sign-in (or an unlock) of the first device holds its row, as it does until its commit.
    const signingIn = new Client({ connectionString: t.databaseUrl });
    await signingIn.connect();
    try {
      await signingIn.query('BEGIN');
      await signingIn.query('SELECT 1 FROM known_devices WHERE id = $1 FOR UPDATE', [rows[0].id]);
      const pruned = t.app.get(KnownDevicesService).pruneUnused();
      const waited = new Promise((resolve) => setTimeout(() => resolve('still waiting after 5 s'), 5000));
      await expect(Promise.race([pruned, waited])).resolves.toBe(1);
      await signingIn.query('COMMIT');
    } finally {
      await signingIn.end();
    }
    const left = await t.db.query<{ id: string }>(`SELECT id FROM known_devices WHERE user_id = $1`, [user.id]);
    expect(left.rows.map((row) => row.id)).toEqual([rows[0].id]);
  });
});

describe('Device cookies across a restart', () => {
  it('still recognise the device when the app restarts on the same database', async () => {
    const database = await createTestDatabase();
    let first: TestApp | undefined;
    let second: TestApp | undefined;
    try {
      first = await startTestApp({ databaseUrl: database.url, env: LOCKOUT_ENV });
      const user = await registerUser(first);
      const ownerDevice = await signInDevice(first, user);
      await failLogins(first, user.email, 3);
      await first.close();
      second = await startTestApp({ databaseUrl: database.url, env: LOCKOUT_ENV });
      await login(second, credentials(user)).expect(401);
      await login(second, credentials(user), ownerDevice).expect(200);
    } finally {
      await closeAll(first, second);
      await database.drop();
    }
  });
});

/** `url` with PostgreSQL settings for every session of the pool that connects with it. */
function withSessionSettings(url: string, settings: string): string {
  const parsed = new URL(url);
  parsed.searchParams.set('options', settings);
  return parsed.toString();
}

describe('Device cookies with two instances on one database', () => {
  let database: Awaited<ReturnType<typeof createTestDatabase>>;
  let first: TestApp | undefined;
  let second: TestApp | undefined;
  beforeAll(async () => {
    database = await createTestDatabase();
    // The planner picks how a statement reaches a user's devices anew each time, and flips between the
    // index (most recently used first) and the table (oldest rows first) as the table and its statistics
    // change. Each instance is held to one of the two here, so that any trims that ran together would disagree.
    first = await startTestApp({
      env: LOCKOUT_ENV,
      databaseUrl: withSessionSettings(database.url, '-c enable_indexscan=off'),
    });
    second = await startTestApp({
      env: LOCKOUT_ENV,
      databaseUrl: withSessionSettings(database.url, '-c enable_seqscan=off -c enable_bitmapscan=off'),
    });
    // A loaded server takes longer over each row deleted; 10 ms here, so that the sign-ins overlap every time.
    await first.db.query(`
      CREATE FUNCTION test_slow_delete() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN PERFORM pg_sleep(0.01); RETURN OLD; END $$`);
    await first.db.query(
      `CREATE TRIGGER test_slow_delete BEFORE DELETE ON known_devices FOR EACH ROW EXECUTE FUNCTION test_slow_delete()`,
    );
  });
  afterAll(async () => {
    await closeAll(first, second);
    await database?.drop();
  });

  it('answers every one of simultaneous new-device logins to one account past its limit, and keeps it to the limit', async () => {
    const apps = [first!, second!];
    const user = await registerUser(apps[0]);
    await signInDevice(apps[0], user);
    // 100 more devices used 1..100 minutes ago, inserted oldest first as time would have: past the 50 kept,
    // so that every trim forgets old ones.
    await apps[0].db.query(
      `INSERT INTO known_devices (user_id, last_ip, created_at, last_used_at)
       SELECT $1, '192.0.2.1', now() - make_interval(mins => i), now() - make_interval(mins => i)
         FROM generate_series(1, 100) i ORDER BY i DESC`,
      [user.id],
    );

    const answers = await Promise.all(Array.from({ length: 16 }, (_, i) => login(apps[i % 2], credentials(user))));

    expect(answers.map((answer) => [answer.status, answer.body.message])).toEqual(Array(16).fill([200, undefined]));
    const newDevices = answers.map((answer) => deviceCookieOf(answer).split('=')[1].split('.')[1]);
    expect(new Set(newDevices).size).toBe(16);
    const { rows } = await apps[0].db.query<{ id: string }>(`SELECT id FROM known_devices WHERE user_id = $1`, [
      user.id,
    ]);
    // Exactly the limit once they have all committed, not 49 + 16: each sign-in's trim counted the devices the
    // others added before it, and kept the 16 new ones, the most recently used.
    expect(rows).toHaveLength(MAX_KNOWN_DEVICES_PER_USER);
    expect(rows.map((row) => row.id)).toEqual(expect.arrayContaining(newDevices));
    const notices = await apps[0].db.query(
      `SELECT count(*)::int AS n FROM mail_outbox WHERE recipient = $1 AND kind = 'new_device'`,
      [user.email],
    );
    expect(notices.rows[0].n).toBe(16);
  });

  it("answers every one of an account's new-device and known-device logins and an admin's unlocks that meet", async () => {
    const apps = [first!, second!];
    const user = await registerUser(apps[0]);
    const known: string[] = [];
    for (let i = 0; i < 4; i += 1) known.push(await signInDevice(apps[i % 2], user));
    // 100 old devices past the limit, for the trims to forget; every device with a failure counted, so that
    // each known one's sign-in writes its row and each unlock locks all of them, in the order of their ids.
    await apps[0].db.query(
      `INSERT INTO known_devices (user_id, last_ip, created_at, last_used_at)
       SELECT $1, '192.0.2.1', now() - make_interval(mins => i), now() - make_interval(mins => i)
         FROM generate_series(1, 100) i ORDER BY i DESC`,
      [user.id],
    );
    await apps[0].db.query(`UPDATE known_devices SET failed_login_count = 1 WHERE user_id = $1`, [user.id]);
    const adminToken = await apps[0].login(ADMIN.email, ADMIN.password);

    const answers = await Promise.all([
      ...Array.from({ length: 12 }, (_, i) => login(apps[i % 2], credentials(user))),
      ...known.map((cookie, i) => login(apps[i % 2], credentials(user), cookie)),
      ...Array.from({ length: 4 }, (_, i) =>
        apps[i % 2].http.delete(`/api/admin/users/${user.id}/lockout`).set('Authorization', `Bearer ${adminToken}`),
      ),
    ]);

    expect(answers.map((answer) => answer.status)).toEqual([...Array(16).fill(200), ...Array(4).fill(204)]);
    const { rows } = await apps[0].db.query<{ n: number }>(
      `SELECT count(*)::int AS n FROM known_devices WHERE user_id = $1`,
      [user.id],
    );
    expect(rows[0].n).toBe(MAX_KNOWN_DEVICES_PER_USER);
  });
});
