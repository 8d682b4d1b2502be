import { TestApp } from '../support/test-app';
import { describeWith, missingPackages } from '../support/required-tools';
import { waitFor } from '../support/wait';
import {
  challengedRegisterReplies,
  DigestChallenge,
  digestAuthorization,
  expectFailedRegistrationRows,
  KamailioInstance,
  missingSipTools,
  sendRawRegister,
} from './kamailio';
import { startAppWithKamailio } from './app-with-kamailio';

/**
 * Authorization headers the digest parser cannot read, or that lack a parameter every digest answer carries
 * (username, nonce, uri, response; cnonce and nc with qop), sent as raw datagrams to the real Kamailio with the
 * shipped config (deploy/kamailio/kamailio.cfg, route[AUTH]). pv_auth_check answers them -1, the code of an
 * internal error, and the config answered 500 for most of them, or took some for a nonce it did not issue (401).
 * They are a bad request (RFC 3261 21.4.1: 400), the same for a subscriber and an unknown user, and a door knock
 * `malformed_authorization` that counts toward the source's ban like any other. Credentials in another scheme
 * (Basic, Bearer) are no digest credentials for our realm: a fresh 401 challenge, as before (RFC 3261 22.1: a
 * server never accepts Basic), nothing recorded.
 */
const DOMAIN = 'regshield.test';
const RESPONSE = '0123456789abcdef0123456789abcdef';

describeWith([missingPackages(missingSipTools())], 'Kamailio: malformed Authorization headers', () => {
  jest.setTimeout(120_000);
  let t: TestApp;
  let proxy: KamailioInstance;

  beforeAll(async () => {
    // 127.0.0.0/8, the default allowlist, is never banned
    ({ t, proxy } = await startAppWithKamailio({
      domain: DOMAIN,
      subscribers: [['3501', 'right-Secret-1']],
      env: { SIP_ALLOWLIST: '127.0.0.1/32,::1/128' },
    }));
  });

  afterAll(async () => {
    await proxy?.stop();
    await t?.close();
  });

  const register = challengedRegisterReplies(() => proxy, DOMAIN, '127.0.35');

  /** the header lines of the second REGISTER, each missing or mangling something */
  const malformed: Array<[string, (c: DigestChallenge, username: string) => string]> = [
    ['no parameters at all, only a word', () => 'Authorization: Digest garbage'],
    [
      'no username',
      (c) => `Authorization: Digest realm="${DOMAIN}", nonce="${c.nonce}", uri="sip:${DOMAIN}", response="${RESPONSE}"`,
    ],
    [
      'an unbalanced quote in the username',
      (c, u) =>
        `Authorization: Digest username="${u}, realm="${DOMAIN}", nonce="${c.nonce}", uri="sip:${DOMAIN}", response="${RESPONSE}"`,
    ],
    [
      'an unbalanced quote at the end',
      (c, u) =>
        `Authorization: Digest username="${u}", realm="${DOMAIN}", nonce="${c.nonce}", uri="sip:${DOMAIN}", response="${RESPONSE}`,
    ],
    ['only a username and a realm', (c, u) => `Authorization: Digest username="${u}", realm="${DOMAIN}"`],
    [
      'no nonce',
      (c, u) => `Authorization: Digest username="${u}", realm="${DOMAIN}", uri="sip:${DOMAIN}", response="${RESPONSE}"`,
    ],
    [
      'no uri',
      (c, u) => `Authorization: Digest username="${u}", realm="${DOMAIN}", nonce="${c.nonce}", response="${RESPONSE}"`,
    ],
    [
      'no response',
      (c, u) => `Authorization: Digest username="${u}", realm="${DOMAIN}", nonce="${c.nonce}", uri="sip:${DOMAIN}"`,
    ],
    [
      'qop without cnonce and nc',
      (c, u) =>
        `Authorization: Digest username="${u}", realm="${DOMAIN}", nonce="${c.nonce}", uri="sip:${DOMAIN}", response="${RESPONSE}", qop=auth`,
    ],
  ];

  const knocks = async (source: string) =>
    (
      await t.db.query<{ reason: string; to_uri: string; method: string }>(
        'SELECT reason, to_uri, method FROM door_knock_attempts WHERE source_ip = $1 ORDER BY id',
        [source],
      )
    ).rows;

  /** door knocks from the addresses `register` sends from */
  const subnetKnocks = async () =>
    (
      await t.db.query<{ n: number }>(
        "SELECT count(*)::int AS n FROM door_knock_attempts WHERE source_ip <<= '127.0.35.0/24'",
      )
    ).rows[0].n;

  it.each(malformed)(
    'answers %s with 400, the same for a subscriber and an unknown user, as a door knock',
    async (_, header) => {
      const knocksBefore = await subnetKnocks();
      for (const username of ['3501', '3590']) {
        const result = await register(username, (c) => [header(c, username)]);
        expect(result.final).toBe(400);
        expect(result.finalReply).toMatch(/^SIP\/2\.0 400 /);
        expect(result.finalReply).not.toMatch(/^WWW-Authenticate:/im);
      }
      await expectFailedRegistrationRows(t.db, '3501', 0);
      await expectFailedRegistrationRows(t.db, '3590', 0);
      expect(await subnetKnocks()).toBe(knocksBefore + 2);
    },
  );

  it('records each malformed header as one malformed_authorization door knock, and a scanner sending them is banned', async () => {
    const scanner = '127.0.36.1';
    const answers: Array<number | null> = [];
    for (let i = 0; i < 5; i += 1) {
      const result = await sendRawRegister({
        kamailio: proxy,
        from: scanner,
        username: '3501',
        domain: DOMAIN,
        credentials: () => ['Authorization: Digest garbage'],
      });
      answers.push(result.final);
    }
    expect(answers).toEqual([400, 400, 400, 400, 400]);
    const rows = await waitFor(async () => {
      const found = await knocks(scanner);
      return found.length >= 5 ? found : undefined;
    }, 5000);
    expect(rows).toEqual(
      Array(5).fill({ reason: 'malformed_authorization', to_uri: `sip:3501@${DOMAIN}`, method: 'REGISTER' }),
    );
    // SIP_BAN_MAX_RETRY (5) counted events: the engine counts every door knock, this one too
    const ban = await waitFor(async () => {
      const { rows: bans } = await t.db.query<{ reason: string }>(
        "SELECT reason FROM sip_bans WHERE cidr = $1::cidr AND source = 'auto'",
        [`${scanner}/32`],
      );
      return bans[0];
    }, 10_000);
    expect(ban.reason).toContain('malformed_authorization');
  });

  it('answers credentials in another scheme with a fresh 401 challenge, nothing recorded, as before', async () => {
    const knocksBefore = await subnetKnocks();
    for (const header of ['Authorization: Basic MzUwMTp4', 'Authorization: Bearer abc.def.ghi']) {
      const result = await register('3501', () => [header]);
      expect(result.final).toBe(401);
      expect(result.finalReply).toMatch(/^WWW-Authenticate: Digest realm="regshield\.test", nonce="[^"]+"/im);
    }
    await expectFailedRegistrationRows(t.db, '3501', 0);
    expect(await subnetKnocks()).toBe(knocksBefore);
  });

  it('still registers the subscriber, and still checks our header when a malformed one comes before it', async () => {
    const right = (c: DigestChallenge) =>
      `Authorization: ${digestAuthorization({ challenge: c, username: '3501', password: 'right-Secret-1', domain: DOMAIN })}`;
    expect((await register('3501', (c) => [right(c)])).final).toBe(200);
    expect((await register('3501', (c) => ['Authorization: Digest garbage', right(c)])).final).toBe(200);
    await expectFailedRegistrationRows(t.db, '3501', 0);
  });
});
