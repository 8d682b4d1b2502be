import { startTestApp, TestApp } from '../support/test-app';
import { describeWith, missingPackages } from '../support/required-tools';
import {
  createSubscriber,
  challengedRegisters,
  DigestChallenge,
  digestAuthorization,
  expectFailedRegistrationRows,
  KamailioInstance,
  missingSipTools,
  startKamailio,
} from './kamailio';

/**
 * Nonces this Kamailio did not issue, sent to the real Kamailio with the shipped config (deploy/kamailio/kamailio.cfg,
 * route[AUTH]): the nonce a phone got before the proxy restarted (the auth module signs its nonces with a secret made
 * at start), and one that is not a nonce at all. pv_auth_check answers both with -1, the code of an internal error
 * (pre_auth: "Invalid nonce value received", NOT_AUTHENTICATED); the config answered them 500, so a phone
 * re-registering after a restart failed until its own retry logic started over. They are challenged (401), like a
 * stale nonce, and never recorded as failed registrations, whatever the user and the response.
 */
const DOMAIN = 'regshield.test';

describeWith([missingPackages(missingSipTools())], 'Kamailio: nonces it did not issue', () => {
  jest.setTimeout(120_000);
  let t: TestApp;
  let proxy: KamailioInstance;

  beforeAll(async () => {
    t = await startTestApp({ env: {} });
    await createSubscriber(t.db, '3301', 'restart-Secret-1', DOMAIN);
    await createSubscriber(t.db, '3302', 'garbage-Secret-2', DOMAIN);
    proxy = await startKamailio({ databaseUrl: t.databaseUrl, domain: DOMAIN });
  });

  afterAll(async () => {
    await proxy?.stop();
    await t?.close();
  });

  const authorization = (challenge: DigestChallenge, username: string, password: string, response?: string) =>
    `Authorization: ${digestAuthorization({ challenge, username, password, domain: DOMAIN, response })}`;

  const register = challengedRegisters(() => proxy, DOMAIN, '127.0.33');

  const expectFailedRows = (username: string, expected: number) =>
    expectFailedRegistrationRows(t.db, username, expected);

  it('challenges the nonce a phone got before Kamailio restarted, then registers it with the new one', async () => {
    let before: DigestChallenge | undefined;
    expect(
      await register('3301', (c) => {
        before = c;
        return [authorization(c, '3301', 'restart-Secret-1')];
      }),
    ).toBe(200);

    // a fresh instance on the same config, database and port: the auth module's secret is new
    const { port } = proxy;
    await proxy.stop();
    proxy = await startKamailio({ databaseUrl: t.databaseUrl, domain: DOMAIN, port });

    // the right password over the old nonce, as a phone re-registers
    expect(await register('3301', () => [authorization(before!, '3301', 'restart-Secret-1')])).toBe(401);
    // a wrong one, or an unknown user, over the old nonce: no guess was checked, so no failure either
    expect(await register('3301', () => [authorization(before!, '3301', 'a-Wrong-one')])).toBe(401);
    expect(await register('3390', () => [authorization(before!, '3390', 'any-Guess')])).toBe(401);
    // the phone answers the new challenge
    expect(await register('3301', (c) => [authorization(c, '3301', 'restart-Secret-1')])).toBe(200);
    await expectFailedRows('3301', 0);
    await expectFailedRows('3390', 0);
  });

  it('challenges a nonce that is not one at all, never a server error nor a failed registration', async () => {
    const garbage = (c: DigestChallenge, nonce: string) => ({ ...c, nonce });
    for (const nonce of [
      'garbage!!',
      'AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA',
      'x',
      '%%%%%%%%%%%%%%%%%%%%%%%%%%%%%%%%%%%%',
    ]) {
      expect(await register('3302', (c) => [authorization(garbage(c, nonce), '3302', 'garbage-Secret-2')])).toBe(401);
      expect(await register('3302', (c) => [authorization(garbage(c, nonce), '3302', 'a-Wrong-one')])).toBe(401);
      expect(await register('3391', (c) => [authorization(garbage(c, nonce), '3391', 'any-Guess')])).toBe(401);
    }
    // the account itself is untouched
    expect(await register('3302', (c) => [authorization(c, '3302', 'garbage-Secret-2')])).toBe(200);
    await expectFailedRows('3302', 0);
    await expectFailedRows('3391', 0);
    // a response that is no digest stays a wrong password, whatever the nonce: pv_auth_check's -1 cannot tell
    // which of the two it refused (route[AUTH_RESPONSE_MALFORMED])
    expect(await register('3302', (c) => [authorization(garbage(c, 'garbage!!'), '3302', 'x', '')])).toBe(403);
    await expectFailedRows('3302', 1);
  });
});
