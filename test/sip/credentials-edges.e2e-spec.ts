import { TestApp } from '../support/test-app';
import { describeWith, missingPackages } from '../support/required-tools';
import { waitFor } from '../support/wait';
import {
  createSubscriber,
  challengedRegisters,
  DigestChallenge,
  digestAuthorization,
  expectFailedRegistrationRows,
  KamailioInstance,
  missingSipTools,
} from './kamailio';
import { startAppWithKamailio } from './app-with-kamailio';

/**
 * The two paths of route[AUTH] (deploy/kamailio/kamailio.cfg, credentials from memory) that phones never take, sent
 * as raw datagrams to the real Kamailio with the shipped config:
 *
 * - several Authorization headers: auth_db's auth_check (find_credentials in Kamailio's core) checked the first
 *   one whose realm is the To domain, without case, and no other; none for our realm was -5, a 401 challenge; it
 *   never read Proxy-Authorization for a REGISTER. Measured against Kamailio 5.6.3's auth_db with this project's
 *   former config (git show 36312e4^:deploy/kamailio/kamailio.cfg): every status code below but the empty response
 *   of a subscriber is what it answered.
 * - an empty password (a digest computed with ''), an empty response, or one of the wrong length: a failed
 *   registration (403 and a failed_registrations row: -2 for a subscriber, -3 for an unknown user), never a 5xx,
 *   never registered. auth_db answered a subscriber's empty response with -1, a 500, and let a subscriber whose
 *   stored password is empty in with the digest of the empty password (the two changes).
 */
const DOMAIN = 'regshield.test';
const OTHER_REALM = 'elsewhere.example';

describeWith([missingPackages(missingSipTools())], 'Kamailio: unusual Authorization headers', () => {
  jest.setTimeout(120_000);
  let t: TestApp;
  let proxy: KamailioInstance;

  beforeAll(async () => {
    ({ t, proxy } = await startAppWithKamailio({
      domain: DOMAIN,
      subscribers: [
        ['3201', 'right-Secret-1'],
        ['3202', 'other-Secret-2'],
        ['3203', 'third-Secret-3'],
        ['3204', 'fourth-Secret-4'],
      ],
    }));
  });

  afterAll(async () => {
    await proxy?.stop();
    await t?.close();
  });

  /** header line answering the challenge; realm defaults to the challenge's (ours) */
  const authorization = (
    challenge: DigestChallenge,
    username: string,
    password: string,
    extra: { realm?: string; response?: string } = {},
    name = 'Authorization',
  ) => `${name}: ${digestAuthorization({ challenge, username, password, domain: DOMAIN, ...extra })}`;

  const register = challengedRegisters(() => proxy, DOMAIN, '127.0.32');

  const expectFailedRows = (username: string, expected: number) =>
    expectFailedRegistrationRows(t.db, username, expected);

  const failureLines = (code: number, username: string) =>
    proxy
      .log()
      .split('\n')
      .filter((line) => line.includes(`failed registration (${code}) user=${username} `)).length;

  const expectFailureLines = async (code: number, username: string, expected: number) => {
    await waitFor(async () => (failureLines(code, username) >= expected ? true : undefined), 3000).catch(
      () => undefined,
    );
    expect(failureLines(code, username)).toBe(expected);
  };

  it('checks the Authorization header for our realm, wherever it is among others, and ignores Proxy-Authorization', async () => {
    // another realm's header first (right password for that realm), ours second
    expect(
      await register('3201', (c) => [
        authorization(c, '3201', 'right-Secret-1', { realm: OTHER_REALM }),
        authorization(c, '3201', 'right-Secret-1'),
      ]),
    ).toBe(200);
    // ours first, another realm's with a wrong password after it
    expect(
      await register('3201', (c) => [
        authorization(c, '3201', 'right-Secret-1'),
        authorization(c, '3201', 'a-Wrong-one', { realm: OTHER_REALM }),
      ]),
    ).toBe(200);
    // our realm written in capitals is our realm (find_credentials compares without case)
    expect(
      await register('3201', (c) => [
        authorization(c, '3201', 'a-Wrong-one', { realm: OTHER_REALM }),
        authorization(c, '3201', 'right-Secret-1').replace(`realm="${DOMAIN}"`, `realm="${DOMAIN.toUpperCase()}"`),
      ]),
    ).toBe(200);
    // Proxy-Authorization (here another account's) is not read for a REGISTER
    expect(
      await register('3201', (c) => [
        authorization(c, '3202', 'x', {}, 'Proxy-Authorization'),
        authorization(c, '3201', 'right-Secret-1'),
      ]),
    ).toBe(200);
    // an unparsable header before ours: auth_db gave up (500); ours is what is checked
    expect(
      await register('3201', (c) => [
        'Authorization: Digest username=, realm=',
        authorization(c, '3201', 'right-Secret-1'),
      ]),
    ).toBe(200);
    await expectFailedRows('3201', 0);
    await expectFailedRows('3202', 0);
  });

  it('checks only the first header for our realm: a wrong password there is a failed registration (-2) of that header’s user', async () => {
    expect(
      await register('3203', (c) => [
        authorization(c, '3203', 'a-Wrong-one'),
        authorization(c, '3203', 'third-Secret-3'),
      ]),
    ).toBe(403);
    // the user recorded is the one whose password was checked, not the first header's (auth_db's $au)
    expect(
      await register('3203', (c) => [
        authorization(c, '3204', 'fourth-Secret-4', { realm: OTHER_REALM }),
        authorization(c, '3203', 'a-Wrong-one'),
      ]),
    ).toBe(403);
    await expectFailedRows('3203', 2);
    await expectFailureLines(-2, '3203', 2);
    await expectFailedRows('3204', 0);
    // an unknown user in our realm's header, among others: -3, recorded
    expect(
      await register('3290', (c) => [
        authorization(c, '3290', 'any-Guess', { realm: OTHER_REALM }),
        authorization(c, '3290', 'another-Guess'),
      ]),
    ).toBe(403);
    await expectFailedRows('3290', 1);
    await expectFailureLines(-3, '3290', 1);
  });

  it('answers a REGISTER whose headers are all for other realms with a 401 challenge, nothing recorded (-5)', async () => {
    expect(
      await register('3204', (c) => [
        authorization(c, '3204', 'fourth-Secret-4', { realm: OTHER_REALM }),
        authorization(c, '3204', 'fourth-Secret-4', { realm: 'third.example' }),
      ]),
    ).toBe(401);
    expect(await register('3204', () => ['Authorization: Basic MzIwNDp4', 'Authorization: Basic MzIwNDp5'])).toBe(401);
    await expectFailedRows('3204', 0);
  });

  it('refuses another account’s right credentials in our realm’s header, with the To user in another realm’s (-8, no row)', async () => {
    expect(
      await register('3204', (c) => [
        authorization(c, '3204', 'x', { realm: OTHER_REALM }),
        authorization(c, '3202', 'other-Secret-2'),
      ]),
    ).toBe(403);
    await expectFailedRows('3204', 0);
    await expectFailedRows('3202', 0);
  });

  it('refuses an empty password, an empty response and a short one as failed registrations, never a 5xx', async () => {
    await createSubscriber(t.db, '3205', 'fifth-Secret-5', DOMAIN);
    // the digest of an empty password: a wrong password
    expect(await register('3205', (c) => [authorization(c, '3205', '')])).toBe(403);
    // response="" and a response of the wrong length: a wrong password too (auth_db: -1, a 500)
    expect(await register('3205', (c) => [authorization(c, '3205', 'x', { response: '' })])).toBe(403);
    expect(await register('3205', (c) => [authorization(c, '3205', 'x', { response: 'abc123' })])).toBe(403);
    // the same among several headers
    expect(
      await register('3205', (c) => [
        authorization(c, '3205', 'x', { realm: OTHER_REALM }),
        authorization(c, '3205', 'x', { response: '' }),
      ]),
    ).toBe(403);
    await expectFailedRows('3205', 4);
    await expectFailureLines(-2, '3205', 4);
    // an unknown user with an empty password or response: -3, as auth_db
    expect(await register('3291', (c) => [authorization(c, '3291', '')])).toBe(403);
    expect(await register('3291', (c) => [authorization(c, '3291', 'x', { response: '' })])).toBe(403);
    await expectFailedRows('3291', 2);
    await expectFailureLines(-3, '3291', 2);
    // the account itself is untouched
    expect(await register('3205', (c) => [authorization(c, '3205', 'fifth-Secret-5')])).toBe(200);
  });

  it('never lets in a subscriber whose password is empty, not even with the digest of the empty password (-2)', async () => {
    await createSubscriber(t.db, '3206', '', DOMAIN);
    expect(await register('3206', (c) => [authorization(c, '3206', '')])).toBe(403);
    expect(await register('3206', (c) => [authorization(c, '3206', 'not-empty')])).toBe(403);
    expect(await register('3206', (c) => [authorization(c, '3206', 'x', { response: '' })])).toBe(403);
    await expectFailedRows('3206', 3);
    await expectFailureLines(-2, '3206', 3);
  });
});
