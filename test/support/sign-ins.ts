import { Client } from 'pg';
import { Response } from 'supertest';
import { newUser, TestApp } from './test-app';
import { eventually } from './wait';

/**
 * Users who sign up and sign in through the API as often as a spec likes: open sign-up, no address to verify,
 * rate limits out of the way, no notice to admins, and the public URL links are built on.
 */
export const OPEN_SIGN_UP_ENV = {
  REGISTRATION_MODE: 'open',
  REGISTER_RATE_LIMIT: '1000',
  LOGIN_RATE_LIMIT: '1000',
  ADMIN_NOTIFY: 'off',
  EMAIL_VERIFICATION: 'off',
  PUBLIC_URL: 'https://shield.example',
};

/**
 * The settings of the specs about lockout and known devices: open sign-up, a lock after 3 failures for 10 min,
 * device cookies for 30 days, no mail but what a spec adds.
 */
export const LOCKOUT_ENV = {
  ACCOUNT_LOCKOUT_MAX_FAILURES: '3',
  ACCOUNT_LOCKOUT_TIME: '600',
  DEVICE_COOKIE_TTL: '2592000',
  ...OPEN_SIGN_UP_ENV,
};

/** A new user, signed up through the API (registration open), with the id it was given. */
export async function registerUser(t: TestApp) {
  const user = newUser();
  const created = await t.http.post('/api/auth/register').send(user).expect(201);
  return { ...user, id: created.body.id as string };
}

/** The `Set-Cookie` line of the device cookie in a response, if any. */
export function deviceCookieLine(response: Response): string | undefined {
  const lines = (response.headers['set-cookie'] as unknown as string[] | undefined) ?? [];
  return lines.find((line) => line.startsWith('regshield_device='));
}

/** The device cookie a login answer set, as a browser sends it back (`name=value`). */
export function deviceCookieOf(response: Response): string {
  const line = deviceCookieLine(response);
  if (!line) throw new Error(`no device cookie in ${response.status} answer`);
  return line.split(';')[0];
}

/**
 * Makes every session a sign-in opens wait, in its transaction, for the advisory lock `gateKey` while a test holds
 * it (holdAtGate): a trigger in the test's own database, after the session's INSERT, before the user's row is
 * written and the sign-in commits.
 */
export async function gateSessionInserts(db: Client, gateKey: number): Promise<void> {
  await db.query(`
    CREATE FUNCTION test_sign_in_gate() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN PERFORM pg_advisory_xact_lock_shared(${gateKey}); RETURN NEW; END $$`);
  await db.query(
    `CREATE TRIGGER test_sign_in_gate AFTER INSERT ON sessions FOR EACH ROW EXECUTE FUNCTION test_sign_in_gate()`,
  );
}

/**
 * Holds a request at a gate: the test takes the advisory lock `gateKey`, which a statement of the request waits
 * for (a trigger the spec created in its own database), sends the request, waits until that wait has begun,
 * runs `meanwhile` to its end, then lets the request go on. Resolves with the request's answer.
 */
export async function holdAtGate<T>(
  t: TestApp,
  gateKey: number,
  request: () => Promise<Response>,
  meanwhile: (gate: Client) => Promise<T>,
): Promise<{ answer: Response; meanwhile: T }> {
  const gate = new Client({ connectionString: t.databaseUrl });
  await gate.connect();
  try {
    await gate.query('SELECT pg_advisory_lock($1)', [gateKey]);
    // A supertest request is sent once something awaits it: now.
    const answered = Promise.resolve(request());
    await eventually(async () => {
      const { rows } = await gate.query<{ n: number }>(
        `SELECT count(*)::int AS n FROM pg_stat_activity
          WHERE datname = current_database() AND wait_event_type = 'Lock' AND wait_event = 'advisory'`,
      );
      return rows[0].n === 1;
    });
    const result = await meanwhile(gate);
    await gate.query('SELECT pg_advisory_unlock($1)', [gateKey]);
    return { answer: await answered, meanwhile: result };
  } finally {
    await gate.end();
  }
}
