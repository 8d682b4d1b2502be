import { randomBytes } from 'node:crypto';
import { TestApp } from '../support/test-app';
import { describeWith, missingPackages } from '../support/required-tools';
import {
  challengedRegisterReplies,
  challengedRegisters,
  DigestChallenge,
  digestAuthorization,
  expectFailedRegistrationRows,
  KamailioInstance,
  missingSipTools,
  startKamailio,
} from './kamailio';
import { startAppWithKamailio } from './app-with-kamailio';

/**
 * Nonces this Kamailio did not issue, sent to the real Kamailio with the shipped config (deploy/kamailio/kamailio.cfg,
 * route[AUTH]): the nonce a phone got before the proxy restarted (the auth module signs its nonces with a secret made
 * at start), forged ones, and ones that are not nonces at all. Garbage, and a nonce whose signature fails though it
 * says it was issued since the start (forged, or one issued in the very second of the restart), make pv_auth_check
 * answer -1, the code of an internal error (pre_auth: "Invalid nonce value received", NOT_AUTHENTICATED); the config
 * answered them 500. They are challenged (401), like a stale nonce, and never recorded as failed registrations,
 * whatever the user and the response.
 *
 * A nonce that is merely stale is answered with stale=true (RFC 7616 3.3, RFC 2617 3.2.1), so that the phone
 * answers the new challenge with the credentials it has instead of asking its user for them: one of ours past
 * NONCE_EXPIRE, and the one from before the restart (check_nonce calls stale, unverified, every nonce issued before
 * the start: a forged one dated so cannot be told from it). A nonce proven not ours (its signature fails, dated
 * within this run) and garbage are not stale. stale=true never depends on the response, so it says nothing of the
 * password.
 */
const DOMAIN = 'regshield.test';

describeWith([missingPackages(missingSipTools())], 'Kamailio: nonces it did not issue', () => {
  jest.setTimeout(120_000);
  let t: TestApp;
  let proxy: KamailioInstance;

  beforeAll(async () => {
    ({ t, proxy } = await startAppWithKamailio({
      domain: DOMAIN,
      subscribers: [
        ['3301', 'restart-Secret-1'],
        ['3302', 'garbage-Secret-2'],
      ],
    }));
  });

  afterAll(async () => {
    await proxy?.stop();
    await t?.close();
  });

  const authorization = (challenge: DigestChallenge, username: string, password: string, response?: string) =>
    `Authorization: ${digestAuthorization({ challenge, username, password, domain: DOMAIN, response })}`;

  const register = challengedRegisters(() => proxy, DOMAIN, '127.0.33');
  const registerReplies = challengedRegisterReplies(() => proxy, DOMAIN, '127.0.37');

  /** the WWW-Authenticate header of a 401 that answers a REGISTER's credentials */
  const challengeOf = (result: { final: number | null; finalReply: string | null }) => {
    expect(result.final).toBe(401);
    return /^WWW-Authenticate: (.*)$/im.exec(result.finalReply ?? '')?.[1] ?? '';
  };

  const expectFailedRows = (username: string, expected: number) =>
    expectFailedRegistrationRows(t.db, username, expected);

  /**
   * A nonce of this config's shape (base64 of a 4-byte expiry, a 4-byte issue time, both big-endian Unix seconds,
   * and a 16-byte MD5) issued `issuedSecondsAgo` before now, with a signature of random bytes.
   */
  const forgedNonce = (issuedSecondsAgo: number) => {
    const now = Math.floor(Date.now() / 1000);
    const raw = Buffer.alloc(24);
    raw.writeUInt32BE(now - issuedSecondsAgo + 300, 0);
    raw.writeUInt32BE(now - issuedSecondsAgo, 4);
    randomBytes(16).copy(raw, 8);
    return raw.toString('base64');
  };

  it('challenges the nonce a phone got before Kamailio restarted, then registers it with the new one', async () => {
    let before: DigestChallenge | undefined;
    expect(
      await register('3301', (c) => {
        before = c;
        return [authorization(c, '3301', 'restart-Secret-1')];
      }),
    ).toBe(200);

    // a fresh instance on the same config, database and port: the auth module's secret is new, and its start is at
    // least a second after the old nonce was issued (a phone's nonce is older still)
    await new Promise((resolve) => setTimeout(resolve, 1100));
    const { port } = proxy;
    await proxy.stop();
    proxy = await startKamailio({ databaseUrl: t.databaseUrl, domain: DOMAIN, port });

    // the right password over the old nonce, as a phone re-registers: stale, so the phone answers the new nonce
    // with the credentials it has
    const again = challengeOf(
      await registerReplies('3301', () => [authorization(before!, '3301', 'restart-Secret-1')]),
    );
    expect(again).toMatch(/^Digest realm="regshield\.test", nonce="[^"]+"/);
    expect(again).toMatch(/, stale=true\b/i);
    // a wrong one, or an unknown user, over the old nonce: no guess was checked, so no failure either, and the
    // same answer (stale=true is no verdict on the password)
    expect(challengeOf(await registerReplies('3301', () => [authorization(before!, '3301', 'a-Wrong-one')]))).toMatch(
      /, stale=true\b/i,
    );
    expect(challengeOf(await registerReplies('3390', () => [authorization(before!, '3390', 'any-Guess')]))).toMatch(
      /, stale=true\b/i,
    );
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
      // not a nonce of ours at any time: a challenge, but not a stale one
      expect(
        challengeOf(
          await registerReplies('3302', (c) => [authorization(garbage(c, nonce), '3302', 'garbage-Secret-2')]),
        ),
      ).not.toMatch(/stale/i);
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

  it('challenges a forged nonce dated within this run without stale=true, and one dated before its start with it', async () => {
    const forged = (c: DigestChallenge, issuedSecondsAgo: number) => ({ ...c, nonce: forgedNonce(issuedSecondsAgo) });
    for (const [username, password] of [
      ['3302', 'garbage-Secret-2'],
      ['3391', 'any-Guess'],
    ]) {
      // its signature fails though it says it was issued since the start: not ours
      const within = challengeOf(
        await registerReplies(username, (c) => [authorization(forged(c, 0), username, password)]),
      );
      expect(within).toMatch(/^Digest realm="regshield\.test", nonce="[^"]+"/);
      expect(within).not.toMatch(/stale/i);
      // issued before the start: check_nonce calls it stale without checking its signature, as the one a phone got
      // before a restart
      expect(
        challengeOf(await registerReplies(username, (c) => [authorization(forged(c, 3600), username, password)])),
      ).toMatch(/, stale=true\b/i);
    }
    await expectFailedRows('3391', 0);
  });

  it('challenges a nonce of ours past NONCE_EXPIRE with stale=true, never recorded, then registers on the new one', async () => {
    const shortLived = await startKamailio({ databaseUrl: t.databaseUrl, domain: DOMAIN, nonceExpireSeconds: 2 });
    try {
      const registerShort = challengedRegisterReplies(() => shortLived, DOMAIN, '127.0.38');
      let first: DigestChallenge | undefined;
      // a fresh nonce is answered at once: registered
      expect(
        (
          await registerShort('3301', (c) => {
            first = c;
            return [authorization(c, '3301', 'restart-Secret-1')];
          })
        ).final,
      ).toBe(200);
      await new Promise((resolve) => setTimeout(resolve, 3500));
      for (const [username, password] of [
        ['3301', 'restart-Secret-1'],
        ['3301', 'a-Wrong-one'],
        ['3390', 'any-Guess'],
      ]) {
        const stale = challengeOf(await registerShort(username, () => [authorization(first!, username, password)]));
        expect(stale).toMatch(/^Digest realm="regshield\.test", nonce="[^"]+"/);
        expect(stale).toMatch(/, stale=true\b/i);
      }
      expect((await registerShort('3301', (c) => [authorization(c, '3301', 'restart-Secret-1')])).final).toBe(200);
      await expectFailedRows('3301', 0);
      await expectFailedRows('3390', 0);
    } finally {
      await shortLived.stop();
    }
  });
});
