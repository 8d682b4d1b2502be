import { closeAll, credentials, startTestApp, TestApp, useTestApp } from '../support/test-app';
import { deviceCookieOf, OPEN_SIGN_UP_ENV, registerUser } from '../support/sign-ins';
import { ReceivedMail, SmtpSink } from '../support/smtp-sink';
import { eventually, mailTo } from '../support/wait';

jest.setTimeout(60_000);

const ENV = {
  ...OPEN_SIGN_UP_ENV,
  MAIL_POLL_INTERVAL_MS: '100',
  MAIL_RETRY_BASE_MS: '200',
};
const FIREFOX = 'Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:133.0) Gecko/20100101 Firefox/133.0';
const SUBJECT = 'New sign-in to your account';

/** A successful login, from a browser with `cookie` (a known device) or none (a new one). */
function login(t: TestApp, user: { email: string; password: string }, cookie?: string, userAgent = FIREFOX) {
  const request = t.http.post('/api/auth/login').set('User-Agent', userAgent);
  if (cookie !== undefined) void request.set('Cookie', cookie);
  return request.send(credentials(user)).expect(200);
}

/** New-device e-mails queued for the address (queued by the login itself, so countable at once). */
async function noticesQueued(t: TestApp, email: string): Promise<number> {
  const { rows } = await t.db.query<{ n: number }>(
    `SELECT count(*)::int AS n FROM mail_outbox WHERE recipient = $1 AND kind = 'new_device'`,
    [email],
  );
  return rows[0].n;
}

function devices(t: TestApp, accessToken: string) {
  return t.http.get('/api/auth/devices').set('Authorization', `Bearer ${accessToken}`).expect(200);
}

/** How many rows of the user's the sign-in writes exist: known devices and sessions. */
async function signInRows(t: TestApp, userId: string): Promise<{ devices: number; sessions: number }> {
  const { rows } = await t.db.query<{ devices: number; sessions: number }>(
    `SELECT (SELECT count(*)::int FROM known_devices WHERE user_id = $1) AS devices,
            (SELECT count(*)::int FROM sessions WHERE user_id = $1) AS sessions`,
    [userId],
  );
  return rows[0];
}

/**
 * Runs `work` while every sign-in of the user fails at the last write of its transaction, the user's
 * last_login_at, once the device's row, the notice and the session are written: whatever of these outlives
 * the failure was written outside the transaction. A trigger raising for that one user's id (no timing, so it
 * fails every time; no other test's sign-ins), dropped afterwards.
 */
async function withSignInsFailing<T>(t: TestApp, userId: string, work: () => Promise<T>): Promise<T> {
  await t.db.query(`
    CREATE FUNCTION test_fail_sign_in() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN RAISE EXCEPTION 'test: sign-in of % fails', NEW.id; END $$`);
  await t.db.query(
    `CREATE TRIGGER test_fail_sign_in BEFORE UPDATE OF last_login_at ON users FOR EACH ROW
       WHEN (NEW.id = ${t.db.escapeLiteral(userId)}::uuid) EXECUTE FUNCTION test_fail_sign_in()`,
  );
  try {
    return await work();
  } finally {
    await t.db.query('DROP TRIGGER test_fail_sign_in ON users');
    await t.db.query('DROP FUNCTION test_fail_sign_in()');
  }
}

function textOf(mail: ReceivedMail): string {
  return mail.raw.replace(/\r\n/g, '\n');
}

describe('New-device notices and the device list', () => {
  const sink = new SmtpSink();
  beforeAll(() => sink.start());
  afterAll(() => sink.stop());
  const t = useTestApp(() => ({ env: { ...ENV, SMTP_URL: sink.url } }));

  it("tells nothing on the account's first sign-in, then e-mails the owner on a sign-in from a new device", async () => {
    const user = await registerUser(t);
    const first = await login(t, user);
    expect(await noticesQueued(t, user.email)).toBe(0);
    expect(t.securityEvents()).toContainEqual(
      expect.objectContaining({ event: 'new_device_signin', user_id: user.id, notified: false }),
    );

    const before = Date.now();
    const second = await login(t, user);
    expect(await noticesQueued(t, user.email)).toBe(1);
    const mail = await mailTo(sink, user.email, SUBJECT);
    const text = textOf(mail);
    expect(mail.subject).toBe(`[regshield] ${SUBJECT}`);
    expect(text).toContain(`Hello ${user.full_name},`);
    expect(text).toContain('Browser: Firefox 133 on Windows 10');
    expect(text).toContain('https://shield.example/account');
    const time = new Date(/Time: (\S+) \(UTC\)/.exec(text)![1]).getTime();
    expect(time).toBeGreaterThanOrEqual(before - 1000);
    expect(time).toBeLessThanOrEqual(Date.now() + 1000);
    const ip = /IP address: (\S+)/.exec(text)![1];
    expect(text).not.toContain(deviceCookieOf(second).split('=')[1]);

    // The device list tells the same: two devices, the newest first, the second marked as this one.
    const listed = (await devices(t, second.body.access_token)).body;
    expect(listed).toEqual([
      {
        id: deviceCookieOf(second).split('.')[1],
        browser: 'Firefox 133 on Windows 10',
        user_agent: FIREFOX,
        first_seen_at: expect.any(String),
        last_seen_at: expect.any(String),
        last_ip: ip,
        current: true,
      },
      expect.objectContaining({ id: deviceCookieOf(first).split('.')[1], current: false }),
    ]);
    expect(t.securityEvents()).toContainEqual(
      expect.objectContaining({ event: 'new_device_signin', user_id: user.id, notified: true, ip }),
    );
  });

  it('queues the notice of a sign-in from a new device in its transaction: none, and no log line, when the sign-in fails', async () => {
    const user = await registerUser(t);
    await login(t, user);
    expect(await signInRows(t, user.id)).toEqual({ devices: 1, sessions: 1 });

    // The injected fault is no outage, so the client gets a 500 (a 503 says "the database is away, retry").
    await withSignInsFailing(t, user.id, () =>
      t.http.post('/api/auth/login').set('User-Agent', FIREFOX).send(credentials(user)).expect(500),
    );
    // The notice was queued before the failing write: rolled back with the device and the session, or the
    // owner would be told of a sign-in that did not happen.
    expect(await noticesQueued(t, user.email)).toBe(0);
    expect(await signInRows(t, user.id)).toEqual({ devices: 1, sessions: 1 });
    // Nor does the security log tell of it: its lines are written once the sign-in has committed.
    const signInLines = () =>
      t
        .securityEvents()
        .filter(
          (event) =>
            event.user_id === user.id && ['login_succeeded', 'new_device_signin'].includes(event.event as string),
        );
    expect(signInLines()).toHaveLength(2);

    const second = await login(t, user);
    expect(signInLines()).toHaveLength(4);
    expect(await noticesQueued(t, user.email)).toBe(1);
    expect(await signInRows(t, user.id)).toEqual({ devices: 2, sessions: 2 });
    const listed = (await devices(t, second.body.access_token)).body;
    expect(listed[0]).toMatchObject({ id: deviceCookieOf(second).split('.')[1], current: true });
    // The outbox sends the oldest first, one at a time: once this notice has arrived, one queued by the
    // failed sign-in would have been sent before it.
    await mailTo(sink, user.email, SUBJECT);
    expect(sink.to(user.email).filter((mail) => mail.subject.includes(SUBJECT))).toHaveLength(1);
  });

  it('tells nothing on a sign-in from a known device (its cookie), and keeps it one device', async () => {
    const user = await registerUser(t);
    await login(t, user);
    const laptop = deviceCookieOf(await login(t, user));
    expect(await noticesQueued(t, user.email)).toBe(1);
    const again = await login(
      t,
      user,
      laptop,
      'Mozilla/5.0 (X11; Linux x86_64; rv:134.0) Gecko/20100101 Firefox/134.0',
    );
    expect(deviceCookieOf(again)).toBe(laptop);
    expect(await noticesQueued(t, user.email)).toBe(1);
    const listed = (await devices(t, again.body.access_token)).body;
    expect(listed).toHaveLength(2);
    expect(listed[0]).toMatchObject({ browser: 'Firefox 134 on Linux', current: true });
  });

  it('never lists or forgets another account’s devices, and needs a bearer token', async () => {
    const owner = await registerUser(t);
    const stranger = await registerUser(t);
    const ownerDevice = deviceCookieOf(await login(t, owner)).split('.')[1];
    const strangerToken = (await login(t, stranger)).body.access_token as string;
    expect((await devices(t, strangerToken)).body.map((device: { id: string }) => device.id)).not.toContain(
      ownerDevice,
    );
    await t.http
      .delete(`/api/auth/devices/${ownerDevice}`)
      .set('Authorization', `Bearer ${strangerToken}`)
      .expect(404, { statusCode: 404, error: 'Not Found', message: 'Device not found' });
    await t.http.delete('/api/auth/devices/not-a-uuid').set('Authorization', `Bearer ${strangerToken}`).expect(404);
    await t.http.get('/api/auth/devices').expect(401);
    await t.http.delete(`/api/auth/devices/${ownerDevice}`).expect(401);
    const { rows } = await t.db.query('SELECT 1 FROM known_devices WHERE id = $1', [ownerDevice]);
    expect(rows).toHaveLength(1);
  });

  it('forgets a device: gone from the list, and its cookie no longer counts as known (a new notice)', async () => {
    const user = await registerUser(t);
    await login(t, user);
    const phoneLogin = await login(t, user);
    const phone = deviceCookieOf(phoneLogin);
    const phoneId = phone.split('.')[1];
    expect(await noticesQueued(t, user.email)).toBe(1);
    const token = phoneLogin.body.access_token as string;

    await t.http.delete(`/api/auth/devices/${phoneId}`).set('Authorization', `Bearer ${token}`).expect(204);
    expect(t.securityEvents()).toContainEqual(
      expect.objectContaining({ event: 'device_forgotten', user_id: user.id, device_id: phoneId }),
    );
    const listed = (await devices(t, token)).body as Array<{ id: string; current: boolean }>;
    expect(listed.map((device) => device.id)).not.toContain(phoneId);
    expect(listed.some((device) => device.current)).toBe(false);
    await t.http.delete(`/api/auth/devices/${phoneId}`).set('Authorization', `Bearer ${token}`).expect(404);
    // The session it opened goes on: ending it is the sessions list's job.
    await t.http.get('/api/auth/me').set('Authorization', `Bearer ${token}`).expect(200);

    const next = await login(t, user, phone);
    expect(deviceCookieOf(next)).not.toBe(phone);
    expect(await noticesQueued(t, user.email)).toBe(2);
  });

  it('documents the routes and the device at /docs-json', async () => {
    const document = (await t.http.get('/docs-json').expect(200)).body;
    expect(document.paths['/api/auth/devices'].get.operationId).toBe('DevicesController_list');
    expect(Object.keys(document.paths['/api/auth/devices'].get.responses)).toEqual(
      expect.arrayContaining(['200', '401']),
    );
    expect(document.paths['/api/auth/devices/{id}'].delete.operationId).toBe('DevicesController_forget');
    expect(Object.keys(document.paths['/api/auth/devices/{id}'].delete.responses)).toEqual(
      expect.arrayContaining(['204', '401', '404']),
    );
    expect(Object.keys(document.components.schemas.DeviceResponseDto.properties).sort()).toEqual(
      ['browser', 'current', 'first_seen_at', 'id', 'last_ip', 'last_seen_at', 'user_agent'].sort(),
    );
  });
});

describe('New-device notices while SMTP is down', () => {
  const sink = new SmtpSink();
  let t: TestApp | undefined;
  beforeAll(async () => {
    // A port nothing listens on for now: started once to get a free port, then stopped.
    await sink.start();
    await sink.stop();
    t = await startTestApp({ env: { ...ENV, SMTP_URL: sink.url } });
  });
  afterAll(async () => {
    await closeAll(t);
    await sink.stop();
  });

  it('signs in as usual and delivers the notice once the server is back', async () => {
    const app = t!;
    const user = await registerUser(app);
    await login(app, user);
    const started = Date.now();
    const second = await login(app, user);
    expect(Date.now() - started).toBeLessThan(10_000);
    await app.http.get('/api/auth/me').set('Authorization', `Bearer ${second.body.access_token}`).expect(200);
    expect(await noticesQueued(app, user.email)).toBe(1);
    await eventually(async () => {
      const { rows } = await app.db.query(
        `SELECT attempts FROM mail_outbox WHERE recipient = $1 AND kind = 'new_device'`,
        [user.email],
      );
      return rows[0].attempts >= 1;
    });
    expect(sink.to(user.email)).toEqual([]);
    await sink.start();
    await mailTo(sink, user.email, SUBJECT);
  });
});

describe('NEW_DEVICE_NOTICES=false', () => {
  const t = useTestApp({ env: { ...ENV, NEW_DEVICE_NOTICES: 'false' } });

  it('e-mails nothing, yet still remembers each new device', async () => {
    const user = await registerUser(t);
    await login(t, user);
    const second = await login(t, user);
    expect(await noticesQueued(t, user.email)).toBe(0);
    expect((await devices(t, second.body.access_token)).body).toHaveLength(2);
    expect(t.securityEvents()).toContainEqual(
      expect.objectContaining({ event: 'new_device_signin', user_id: user.id, notified: false }),
    );
  });
});
