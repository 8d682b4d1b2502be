import { Client } from 'pg';
import { Response } from 'supertest';
import { ADMIN, credentials, TestApp, useTestApp } from '../support/test-app';
import { LOCKOUT_ENV, deviceCookieOf, gateSessionInserts, holdAtGate, registerUser } from '../support/sign-ins';
import { linkIn, SmtpSink } from '../support/smtp-sink';
import { eventually } from '../support/wait';

jest.setTimeout(60_000);

const ENV = { ...LOCKOUT_ENV, MAIL_POLL_INTERVAL_MS: '100' };

/** The advisory lock a sign-in waits for once it has opened its session, while the test holds it. */
const SIGN_IN_GATE = 7_200_101;

function login(t: TestApp, body: Record<string, string>, cookie: string) {
  return t.http.post('/api/auth/login').set('Cookie', cookie).send(body);
}

/** How many of the app's connections wait for a row another transaction holds (the gate's wait left out). */
async function waitingForRows(db: Client): Promise<number> {
  const { rows } = await db.query<{ n: number }>(
    `SELECT count(*)::int AS n FROM pg_stat_activity
      WHERE datname = current_database() AND wait_event_type = 'Lock' AND wait_event <> 'advisory'`,
  );
  return rows[0].n;
}

/**
 * A known device of the user with a failure counted on it, so that its next sign-in writes its row, and
 * so does anything that ends the account's and devices' locks.
 */
async function deviceWithAFailure(t: TestApp, user: { email: string; password: string }): Promise<string> {
  const laptop = deviceCookieOf(await t.http.post('/api/auth/login').send(credentials(user)).expect(200));
  await login(t, { email: user.email, password: 'Wrong1234' }, laptop).expect(401);
  return laptop;
}

/**
 * Forces the interleaving that deadlocked: the owner's sign-in from the device has written the device's row
 * and opened its session, and is held there (by the gate) before it writes the user's row; `other` then
 * starts and runs until it waits for a row the sign-in holds; only then does the sign-in go on. Returns both
 * answers.
 */
async function signInAlongside(
  t: TestApp,
  signIn: () => Promise<Response>,
  other: () => Promise<Response>,
): Promise<[Response, Response]> {
  const { answer, meanwhile } = await holdAtGate(t, SIGN_IN_GATE, signIn, async (gate) => {
    const otherDone = Promise.resolve(other());
    await eventually(async () => (await waitingForRows(gate)) === 1);
    return { otherDone };
  });
  return [answer, await meanwhile.otherDone];
}

describe("Lock order of a user's row and its devices' rows", () => {
  const sink = new SmtpSink();
  beforeAll(() => sink.start());
  afterAll(() => sink.stop());
  const t = useTestApp(() => ({ env: { ...ENV, SMTP_URL: sink.url } }));

  beforeAll(async () => {
    await gateSessionInserts(t.db, SIGN_IN_GATE);
  });

  it("lets an admin's unlock and the owner's sign-in from a device both succeed when they meet", async () => {
    const user = await registerUser(t);
    const laptop = await deviceWithAFailure(t, user);
    const adminToken = await t.login(ADMIN.email, ADMIN.password);

    const [signedIn, unlocked] = await signInAlongside(
      t,
      () => login(t, credentials(user), laptop),
      () => t.http.delete(`/api/admin/users/${user.id}/lockout`).set('Authorization', `Bearer ${adminToken}`),
    );

    expect([signedIn.status, unlocked.status]).toEqual([200, 204]);
    expect(t.securityEvents()).toContainEqual(
      expect.objectContaining({ event: 'account_unlocked', target_id: user.id }),
    );
    const { rows } = await t.db.query(
      `SELECT failed_login_count, lockout_count, locked_until FROM known_devices WHERE user_id = $1`,
      [user.id],
    );
    expect(rows).toEqual([{ failed_login_count: 0, lockout_count: 0, locked_until: null }]);
  });

  it("lets a password reset and the owner's sign-in from a device both succeed when they meet", async () => {
    const user = await registerUser(t);
    const laptop = await deviceWithAFailure(t, user);
    await t.http.post('/api/auth/password/forgot').send({ email: user.email }).expect(202);
    const { token } = linkIn((await sink.waitFor(user.email))[0], '/reset-password');

    const [signedIn, reset] = await signInAlongside(
      t,
      () => login(t, credentials(user), laptop),
      () => t.http.post('/api/auth/password/reset').send({ token, new_password: 'Renewed1234' }),
    );

    expect([signedIn.status, reset.status]).toEqual([200, 204]);
    // The reset came last: it ended the session the sign-in opened, and the new password is the one.
    const { rows } = await t.db.query(
      `SELECT count(*)::int AS n FROM sessions WHERE user_id = $1 AND revoked_at IS NULL`,
      [user.id],
    );
    expect(rows[0].n).toBe(0);
    await login(t, credentials(user), laptop).expect(401);
    await login(t, { email: user.email, password: 'Renewed1234' }, laptop).expect(200);
  });
});
