import { startTestApp, TestApp } from '../support/test-app';
import { describeWith, missingPackages } from '../support/required-tools';
import { waitFor } from '../support/wait';
import {
  createSubscriber,
  KamailioInstance,
  missingSipTools,
  sendWrongPasswordRegisters,
  sipRegister,
  startKamailio,
} from './kamailio';

/**
 * deploy/kamailio/kamailio.cfg reads a subscriber's password once into memory (htable `creds`) and checks the
 * digest of every REGISTER against it for SIP_CREDENTIALS_CACHE_TTL s, "no such subscriber" included; a refusal
 * on an answer older than SIP_CREDENTIALS_RECHECK s reads the subscriber again first. What the memory must not
 * change: each failure keeps its kind (the log line's code: -2 wrong password, -3 unknown user) and its
 * failed_registrations row; an auth user that is not the To user (-8) stays a 403 without a row.
 */
const DOMAIN = 'regshield.test';
const TTL_SECONDS = 4;
const RECHECK_SECONDS = 2;

const sleep = (ms: number) => new Promise((done) => setTimeout(done, ms));

describeWith([missingPackages(missingSipTools())], 'Kamailio: subscribers’ credentials from memory', () => {
  jest.setTimeout(120_000);
  let t: TestApp;
  /** answers from memory for TTL_SECONDS, never reads again on a refusal within the test */
  let ttlProxy: KamailioInstance;
  /** keeps answers for long, reads again on a refusal after RECHECK_SECONDS */
  let recheckProxy: KamailioInstance;

  beforeAll(async () => {
    t = await startTestApp({ env: {} });
    await createSubscriber(t.db, 'placeholder', 'unused', DOMAIN);
    ttlProxy = await startKamailio({
      databaseUrl: t.databaseUrl,
      domain: DOMAIN,
      credentialsCacheTtlSeconds: TTL_SECONDS,
      credentialsRecheckSeconds: 600,
    });
    recheckProxy = await startKamailio({
      databaseUrl: t.databaseUrl,
      domain: DOMAIN,
      credentialsCacheTtlSeconds: 600,
      credentialsRecheckSeconds: RECHECK_SECONDS,
    });
  });

  afterAll(async () => {
    await ttlProxy?.stop();
    await recheckProxy?.stop();
    await t?.close();
  });

  const register = (proxy: KamailioInstance, username: string, password: string, authUsername?: string) =>
    sipRegister({ port: proxy.port, domain: DOMAIN, username, password, authUsername }).then((r) => r.status);

  const setPassword = (username: string, password: string) =>
    t.db.query('UPDATE subscriber SET password = $2 WHERE username = $1 AND domain = $3', [username, password, DOMAIN]);

  const failedRows = (username: string) =>
    t.db
      .query<{ n: number }>('SELECT count(*)::int AS n FROM failed_registrations WHERE username = $1', [username])
      .then((r) => r.rows[0].n);

  /** waits for the queued rows (written every 100 ms) to reach `expected` */
  const expectFailedRows = (username: string, expected: number) =>
    waitFor(async () => ((await failedRows(username)) === expected ? true : undefined), 5000);

  const failureLines = (proxy: KamailioInstance, code: number, username: string) =>
    proxy
      .log()
      .split('\n')
      .filter((line) => line.includes(`failed registration (${code}) user=${username} `)).length;

  /** Kamailio's log reaches the test through a pipe: waits a little for the line count to reach `expected` */
  const expectFailureLines = async (proxy: KamailioInstance, code: number, username: string, expected: number) => {
    await waitFor(async () => (failureLines(proxy, code, username) >= expected ? true : undefined), 3000).catch(
      () => undefined,
    );
    expect(failureLines(proxy, code, username)).toBe(expected);
  };

  it('answers from memory until the TTL: the old password still works, the new one is a wrong password (-2), then they swap', async () => {
    await createSubscriber(t.db, '3001', 'first-Secret-1', DOMAIN);
    const loadedAt = Date.now();
    expect(await register(ttlProxy, '3001', 'first-Secret-1')).toBe(200);
    await setPassword('3001', 'second-Secret-2');
    expect(await register(ttlProxy, '3001', 'first-Secret-1')).toBe(200);
    expect(await register(ttlProxy, '3001', 'second-Secret-2')).toBe(403);
    // the three REGISTERs above must all have been answered from the first read
    expect(Date.now() - loadedAt).toBeLessThan(TTL_SECONDS * 1000);
    await expectFailureLines(ttlProxy, -2, '3001', 1);
    await expectFailedRows('3001', 1);

    await sleep(TTL_SECONDS * 1000 + 500);
    expect(await register(ttlProxy, '3001', 'second-Secret-2')).toBe(200);
    expect(await register(ttlProxy, '3001', 'first-Secret-1')).toBe(403);
    await expectFailureLines(ttlProxy, -2, '3001', 2);
    await expectFailedRows('3001', 2);
  });

  it('remembers an unknown user as unknown (-3, recorded) until the TTL, then lets the new subscriber in', async () => {
    const firstAt = Date.now();
    expect(await register(ttlProxy, '3002', 'any-Guess-1')).toBe(403);
    await createSubscriber(t.db, '3002', 'new-Secret-3', DOMAIN);
    expect(await register(ttlProxy, '3002', 'new-Secret-3')).toBe(403);
    expect(Date.now() - firstAt).toBeLessThan(TTL_SECONDS * 1000);
    await expectFailureLines(ttlProxy, -3, '3002', 2);
    await expectFailureLines(ttlProxy, -2, '3002', 0);
    await expectFailedRows('3002', 2);

    await sleep(TTL_SECONDS * 1000 + 500);
    expect(await register(ttlProxy, '3002', 'new-Secret-3')).toBe(200);
    expect(await register(ttlProxy, '3002', 'a-Wrong-one')).toBe(403);
    await expectFailureLines(ttlProxy, -2, '3002', 1);
    await expectFailedRows('3002', 3);
  });

  it('reads the subscriber again before refusing on an answer older than SIP_CREDENTIALS_RECHECK', async () => {
    await createSubscriber(t.db, '3003', 'first-Secret-4', DOMAIN);
    expect(await register(recheckProxy, '3003', 'first-Secret-4')).toBe(200);
    await setPassword('3003', 'second-Secret-5');
    await sleep(RECHECK_SECONDS * 1000 + 500);
    // the phone with its new password is let in at its first try, and nothing is recorded against it
    expect(await register(recheckProxy, '3003', 'second-Secret-5')).toBe(200);
    // the answer was just read again: the old password is a wrong one at once
    expect(await register(recheckProxy, '3003', 'first-Secret-4')).toBe(403);
    await expectFailureLines(recheckProxy, -2, '3003', 1);
    await expectFailedRows('3003', 1);

    expect(await register(recheckProxy, '3004', 'some-Secret-6')).toBe(403);
    await expectFailureLines(recheckProxy, -3, '3004', 1);
    await createSubscriber(t.db, '3004', 'some-Secret-6', DOMAIN);
    await sleep(RECHECK_SECONDS * 1000 + 500);
    expect(await register(recheckProxy, '3004', 'some-Secret-6')).toBe(200);
    await expectFailedRows('3004', 1);
  });

  it('reads the subscriber once, not per guess: with the table gone, guesses are still wrong passwords and the phone still registers', async () => {
    await createSubscriber(t.db, '3007', 'kept-Secret-8', DOMAIN);
    expect(await register(recheckProxy, '3007', 'kept-Secret-8')).toBe(200);
    await t.db.query('ALTER TABLE subscriber RENAME TO subscriber_away');
    try {
      const guesses = await sendWrongPasswordRegisters({
        port: recheckProxy.port,
        domain: DOMAIN,
        username: '3007',
        count: 10,
        rate: 20,
      });
      expect(guesses.statuses.filter((status) => status === 403)).toHaveLength(10);
      await expectFailedRows('3007', 10);
      await expectFailureLines(recheckProxy, -2, '3007', 10);
      // past SIP_CREDENTIALS_RECHECK the refusal tries to read again, fails, and keeps the remembered answer
      await sleep(RECHECK_SECONDS * 1000 + 500);
      expect(await register(recheckProxy, '3007', 'a-Wrong-guess')).toBe(403);
      expect(await register(recheckProxy, '3007', 'kept-Secret-8')).toBe(200);
      // a username not in memory needs the database: -1, a 500, nothing recorded, nothing remembered
      expect(await register(recheckProxy, '3008', 'any-Guess-9')).toBe(500);
    } finally {
      await t.db.query('ALTER TABLE subscriber_away RENAME TO subscriber');
    }
    await sleep(300);
    expect(await failedRows('3008')).toBe(0);
    await createSubscriber(t.db, '3008', 'any-Guess-9', DOMAIN);
    expect(await register(recheckProxy, '3008', 'any-Guess-9')).toBe(200);
  });

  it('keeps auth_db’s other answers: a digest username with its domain works, another account’s credentials are -8 (403, no row)', async () => {
    await createSubscriber(t.db, '3005', 'own-Secret-7', DOMAIN);
    expect(await register(recheckProxy, '3005', 'own-Secret-7', `3005@${DOMAIN}`)).toBe(200);
    // 3005's right password, sent to register 3006: authenticated, but not as the To user
    expect(await register(recheckProxy, '3006', 'own-Secret-7', '3005')).toBe(403);
    await sleep(500);
    expect(await failedRows('3005')).toBe(0);
    expect(failureLines(recheckProxy, -2, '3005') + failureLines(recheckProxy, -3, '3005')).toBe(0);
  });
});
