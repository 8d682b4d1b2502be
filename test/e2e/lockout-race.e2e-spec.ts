import { Client } from 'pg';
import { Response } from 'supertest';
import { SoftwarePasskey } from '../support/software-authenticator';
import { credentials, TestApp, useTestApp } from '../support/test-app';
import {
  LOCKOUT_ENV,
  deviceCookieLine,
  deviceCookieOf,
  gateSessionInserts,
  holdAtGate,
  registerUser,
} from '../support/sign-ins';

jest.setTimeout(60_000);

/** The advisory lock a sign-in waits for once it has opened its session, while the test holds it. */
const SIGN_IN_GATE = 7_200_202;
/** The advisory lock every UPDATE of known_devices waits for, before it locks any row, while the test holds it. */
const DEVICE_WRITE_GATE = 7_200_203;

function login(t: TestApp, body: Record<string, string>, cookie?: string) {
  const req = t.http.post('/api/auth/login');
  return cookie ? req.set('Cookie', cookie).send(body) : req.send(body);
}

/** Three wrong passwords, one after the other, each from `cookie`'s device if given: the lock's limit. */
async function lockWithWrongPasswords(t: TestApp, email: string, cookie?: string): Promise<void> {
  for (let attempt = 0; attempt < 3; attempt += 1) {
    await login(t, { email, password: 'Wrong1234' }, cookie).expect(401);
  }
}

async function openSessions(t: TestApp, userId: string): Promise<number> {
  const { rows } = await t.db.query<{ n: number }>(
    `SELECT count(*)::int AS n FROM sessions WHERE user_id = $1 AND revoked_at IS NULL`,
    [userId],
  );
  return rows[0].n;
}

/**
 * Forces the race: the sign-in has read the account (and device) as not locked, verified the credential and
 * opened its session, and is held there (by the gate) before it writes the user's row and commits; `meanwhile`
 * then runs to its end (it locks the account or the device); only then does the sign-in go on.
 */
async function signInWhile(
  t: TestApp,
  signIn: () => Promise<Response>,
  meanwhile: (gate: Client) => Promise<void>,
  gateKey = SIGN_IN_GATE,
): Promise<Response> {
  return (await holdAtGate(t, gateKey, signIn, meanwhile)).answer;
}
describe('A lock that lands while a sign-in is under way', () => {
  const t = useTestApp(() => ({ env: LOCKOUT_ENV }));

  beforeAll(async () => {
    await gateSessionInserts(t.db, SIGN_IN_GATE);
    // Every write of a device waits here, before it locks a row, while the test holds that gate (the test's own
    // connection holding it passes: a session never waits for its own advisory lock).
    await t.db.query(`
      CREATE FUNCTION test_device_write_gate() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN PERFORM pg_advisory_xact_lock_shared(${DEVICE_WRITE_GATE}); RETURN NULL; END $$`);
    await t.db.query(
      `CREATE TRIGGER test_device_write_gate BEFORE UPDATE ON known_devices
         FOR EACH STATEMENT EXECUTE FUNCTION test_device_write_gate()`,
    );
  });

  it('refuses the right password once the account got locked after it was read', async () => {
    const user = await registerUser(t);

    const answer = await signInWhile(
      t,
      () => login(t, credentials(user)),
      () => lockWithWrongPasswords(t, user.email),
    );

    expect(t.securityEvents()).toContainEqual(expect.objectContaining({ event: 'account_locked', user_id: user.id }));
    expect(answer.status).toBe(401);
    expect(answer.body).toEqual({ statusCode: 401, error: 'Unauthorized', message: 'Incorrect email or password' });
    expect(deviceCookieLine(answer)).toBeUndefined();
    expect(await openSessions(t, user.id)).toBe(0);
    const { rows } = await t.db.query(`SELECT count(*)::int AS n FROM known_devices WHERE user_id = $1`, [user.id]);
    expect(rows[0].n).toBe(0);
    expect(t.securityEvents()).toContainEqual(
      expect.objectContaining({ event: 'login_failed', email: user.email, reason: 'account_locked' }),
    );
    expect(t.securityEvents()).not.toContainEqual(
      expect.objectContaining({ event: 'login_succeeded', user_id: user.id }),
    );
    // The lock stands, with the failures that made it.
    const { rows: users } = await t.db.query(`SELECT lockout_count, locked_until FROM users WHERE id = $1`, [user.id]);
    expect(users[0]).toEqual({ lockout_count: 1, locked_until: expect.any(Date) });
  });

  it('refuses the right password from a known device once that device got locked after it was read', async () => {
    const user = await registerUser(t);
    const laptop = deviceCookieOf(await login(t, credentials(user)).expect(200));
    const { rows: devices } = await t.db.query<{ id: string }>(`SELECT id FROM known_devices WHERE user_id = $1`, [
      user.id,
    ]);

    const answer = await signInWhile(
      t,
      () => login(t, credentials(user), laptop),
      () => lockWithWrongPasswords(t, user.email, laptop),
    );

    expect(t.securityEvents()).toContainEqual(
      expect.objectContaining({ event: 'device_locked', user_id: user.id, device_id: devices[0].id }),
    );
    expect(answer.status).toBe(401);
    expect(answer.body).toEqual({ statusCode: 401, error: 'Unauthorized', message: 'Incorrect email or password' });
    expect(deviceCookieLine(answer)).toBeUndefined();
    expect(await openSessions(t, user.id)).toBe(1);
    expect(t.securityEvents()).toContainEqual(
      expect.objectContaining({
        event: 'login_failed',
        email: user.email,
        reason: 'device_locked',
        device_id: devices[0].id,
      }),
    );
    const { rows } = await t.db.query(`SELECT lockout_count, locked_until FROM known_devices WHERE id = $1`, [
      devices[0].id,
    ]);
    expect(rows[0]).toEqual({ lockout_count: 1, locked_until: expect.any(Date) });
  });

  it('refuses the right password from a known device whose row it writes, locked before it wrote it', async () => {
    const user = await registerUser(t);
    const laptop = deviceCookieOf(await login(t, credentials(user)).expect(200));
    // A failure on the device: its next sign-in writes its row (to start the count over) before the user's.
    await login(t, { email: user.email, password: 'Wrong1234' }, laptop).expect(401);
    const { rows: devices } = await t.db.query<{ id: string }>(`SELECT id FROM known_devices WHERE user_id = $1`, [
      user.id,
    ]);

    const answer = await signInWhile(
      t,
      () => login(t, credentials(user), laptop),
      async (gate) => {
        // The lock as KnownDevicesRepository.lock writes it, once the sign-in has read the device as open.
        await gate.query(
          `UPDATE known_devices SET failed_login_count = 0, lockout_count = lockout_count + 1,
                  locked_until = now() + make_interval(secs => 600)
            WHERE id = $1`,
          [devices[0].id],
        );
      },
      DEVICE_WRITE_GATE,
    );

    expect(answer.status).toBe(401);
    expect(answer.body).toEqual({ statusCode: 401, error: 'Unauthorized', message: 'Incorrect email or password' });
    expect(deviceCookieLine(answer)).toBeUndefined();
    expect(await openSessions(t, user.id)).toBe(1);
    expect(t.securityEvents()).toContainEqual(
      expect.objectContaining({ event: 'login_failed', reason: 'device_locked', device_id: devices[0].id }),
    );
    // The sign-in's start-over of the device's counts was rolled back with it: the lock and its growth stand.
    const { rows } = await t.db.query(`SELECT lockout_count, locked_until FROM known_devices WHERE id = $1`, [
      devices[0].id,
    ]);
    expect(rows[0]).toEqual({ lockout_count: 1, locked_until: expect.any(Date) });
  });

  it('refuses a valid passkey once the account got locked after it was read', async () => {
    const user = await registerUser(t);
    const token = await t.login(user.email, user.password);
    const passkey = new SoftwarePasskey(LOCKOUT_ENV.PUBLIC_URL);
    const { body: registerOptions } = await t.http
      .post('/api/auth/passkeys/register/options')
      .set('Authorization', `Bearer ${token}`)
      .expect(200);
    const { body: added } = await t.http
      .post('/api/auth/passkeys/register/verify')
      .set('Authorization', `Bearer ${token}`)
      .send({ credential: passkey.register(registerOptions) })
      .expect(201);
    const { body: options } = await t.http.post('/api/auth/passkeys/login/options').expect(200);
    const sessionsBefore = await openSessions(t, user.id);

    const answer = await signInWhile(
      t,
      () => t.http.post('/api/auth/passkeys/login/verify').send({ credential: passkey.authenticate(options) }),
      () => lockWithWrongPasswords(t, user.email),
    );

    expect(answer.status).toBe(401);
    expect(answer.body).toEqual({ statusCode: 401, error: 'Unauthorized', message: 'Passkey sign-in failed' });
    expect(deviceCookieLine(answer)).toBeUndefined();
    expect(await openSessions(t, user.id)).toBe(sessionsBefore);
    expect(t.securityEvents()).toContainEqual(
      expect.objectContaining({
        event: 'login_failed',
        method: 'passkey',
        email: user.email,
        passkey_id: added.id,
        reason: 'account_locked',
      }),
    );
  });
});
