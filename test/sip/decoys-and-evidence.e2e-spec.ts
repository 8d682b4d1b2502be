import * as dgram from 'node:dgram';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { KamailioRpcClient } from '../../src/sip-security/kamailio-rpc.client';
import { describeWith, missingPackages } from '../support/required-tools';
import { ADMIN, startTestApp, TestApp } from '../support/test-app';
import { waitFor } from '../support/wait';
import {
  createSubscriber,
  digestAuthorization,
  freeTcpPort,
  KamailioInstance,
  missingScannerTools,
  missingSipTools,
  probeUntil,
  rpcUrl,
  runSipvicious,
  sendRawRegister,
  sendUnansweredRegister,
  sipPing,
  startKamailio,
} from './kamailio';

/**
 * Decoy usernames (SIP_DECOY_USERNAMES) and ban evidence against the shipped kamailio.cfg: the decoy list
 * reaches the proxy with the bans, one touch of a decoy is a `decoy` door knock, a ban and then silence, and a
 * real svcrack run's ban says what svcrack did. Each attacker has its own loopback address.
 */
const DOMAIN = 'regshield.test';
const SUBSCRIBER = { username: '1000', password: 'S3cret-pass' };

const MISSING_TOOLS = [missingPackages([...missingSipTools(), ...missingScannerTools()])];

/** One INVITE from `from` to `user`@domain (a toll-fraud probe); resolves with the answer's status, or null. */
function sendInvite(kamailio: KamailioInstance, from: string, user: string, domain: string): Promise<number | null> {
  return new Promise((resolve) => {
    const sock = dgram.createSocket('udp4');
    const finish = (code: number | null) => {
      clearTimeout(timer);
      sock.close();
      resolve(code);
    };
    const timer = setTimeout(() => finish(null), 500);
    sock.on('message', (msg) => {
      const status = /^SIP\/2\.0 (\d{3})/.exec(msg.toString('latin1'));
      if (status && Number(status[1]) >= 200) finish(Number(status[1]));
    });
    sock.bind(0, from, () => {
      const { port } = sock.address();
      const tag = Math.random().toString(36).slice(2);
      const message = [
        `INVITE sip:${user}@${domain} SIP/2.0`,
        `Via: SIP/2.0/UDP ${from}:${port};rport;branch=z9hG4bK${tag}`,
        'Max-Forwards: 70',
        `From: <sip:100@${domain}>;tag=${tag}`,
        `To: <sip:${user}@${domain}>`,
        `Call-ID: ${tag}@regshield-test`,
        'CSeq: 1 INVITE',
        `Contact: <sip:100@${from}:${port}>`,
        'User-Agent: regshield-test-invite',
        'Content-Length: 0',
        '',
        '',
      ].join('\r\n');
      sock.send(message, kamailio.port, kamailio.host);
    });
  });
}

interface Ban {
  id: number;
  cidr: string;
  reason: string;
}

describeWith(MISSING_TOOLS, 'Decoy usernames and ban evidence with the shipped Kamailio config', () => {
  jest.setTimeout(120_000);
  let t: TestApp;
  let kamailio: KamailioInstance;
  let admin: string;
  let dictionaryDir: string;

  const findBan = (address: string, timeoutMs = 15_000): Promise<Ban> =>
    waitFor(async () => {
      const response = await t.http.get('/api/sip-security/bans').set('Authorization', `Bearer ${admin}`).expect(200);
      return (response.body as Ban[]).find((ban) => ban.cidr === `${address}/32`);
    }, timeoutMs);
  const evidenceOf = async (ban: Ban) =>
    (await t.http.get(`/api/sip-security/bans/${ban.id}`).set('Authorization', `Bearer ${admin}`).expect(200)).body
      .evidence as Record<string, unknown>;
  const knocks = async (address: string): Promise<Array<{ reason: string; to_uri: string }>> =>
    (await t.db.query('SELECT reason, to_uri FROM door_knock_attempts WHERE source_ip = $1 ORDER BY id', [address]))
      .rows as Array<{ reason: string; to_uri: string }>;
  const target = () => `udp://${kamailio.host}:${kamailio.port}`;

  beforeAll(async () => {
    const rpcPort = await freeTcpPort();
    t = await startTestApp({
      env: {
        SIP_ALLOWLIST: '127.0.0.1/32,::1/128',
        SIP_PROXY_RPC_URLS: rpcUrl(rpcPort),
        SIP_DECOY_USERNAMES: 'admin,Test',
      },
    });
    admin = await t.login(ADMIN.email, ADMIN.password);
    await createSubscriber(t.db, SUBSCRIBER.username, SUBSCRIBER.password, DOMAIN);
    kamailio = await startKamailio({ databaseUrl: t.databaseUrl, domain: DOMAIN, rpcPort });
    // The list arrives with regshield's first full sync of this proxy (its heartbeat finds it unsynced).
    const rpc = new KamailioRpcClient(kamailio.rpcUrl);
    // Kamailio answers a missing key with an HTTP 500: not there yet.
    const decoys = () => rpc.get('regshield', 'decoys').catch(() => undefined);
    await waitFor(async () => ((await decoys()) === 'admin,test' ? true : undefined), 10_000);
    dictionaryDir = fs.mkdtempSync(path.join(os.tmpdir(), 'regshield-decoys-'));
  });

  afterAll(async () => {
    await kamailio?.stop();
    await t?.close();
    if (dictionaryDir) fs.rmSync(dictionaryDir, { recursive: true, force: true });
  });

  it('one REGISTER for a decoy (any case) is a decoy door knock, a ban, and then silence', async () => {
    const attacker = '127.0.0.71';
    expect(await sipPing(kamailio.host, kamailio.port, DOMAIN, 500, attacker)).toBe(200);
    // Answered like any account: the scanner learns nothing from the answer.
    expect(await sendUnansweredRegister(kamailio, attacker, 'Admin', DOMAIN)).toBe(401);
    const ban = await findBan(attacker);
    expect(ban.reason).toBe("decoy username 'admin' touched");
    expect(await knocks(attacker)).toEqual([{ reason: 'decoy', to_uri: `sip:Admin@${DOMAIN}` }]);
    expect(await evidenceOf(ban)).toMatchObject({
      rule: 'decoy',
      decoy_username: 'admin',
      counts: { decoy: 1 },
      usernames: ['Admin'],
      user_agents: ['regshield-test-unanswered'],
    });
    expect(
      await probeUntil({ kamailio, from: attacker, domain: DOMAIN, answered: false, timeoutMs: 5000 }),
    ).not.toBeNull();
    expect(await sipPing(kamailio.host, kamailio.port, DOMAIN, 500, attacker)).toBeNull();
  });

  it('one INVITE to a decoy is a decoy door knock and a ban', async () => {
    const attacker = '127.0.0.74';
    // This configuration routes no calls: the INVITE gets its 501 like any other, after the knock is written.
    expect(await sendInvite(kamailio, attacker, 'admin', DOMAIN)).toBe(501);
    const ban = await findBan(attacker);
    expect(ban.reason).toBe("decoy username 'admin' touched");
    expect(await knocks(attacker)).toEqual([{ reason: 'decoy', to_uri: `sip:admin@${DOMAIN}` }]);
    expect(
      await probeUntil({ kamailio, from: attacker, domain: DOMAIN, answered: false, timeoutMs: 5000 }),
    ).not.toBeNull();
  });

  it('a decoy in the Authorization header the digest check reads, behind another realm’s, is a decoy door knock', async () => {
    const attacker = '127.0.0.75';
    // The To and From user is the subscriber; of the two Authorization headers the digest check reads the one for
    // our realm (route[AUTH_ONE_HEADER]), the second here, which names a decoy. $au names the first.
    const result = await sendRawRegister({
      kamailio,
      from: attacker,
      username: SUBSCRIBER.username,
      domain: DOMAIN,
      credentials: (challenge) => [
        `Authorization: ${digestAuthorization({ challenge, username: SUBSCRIBER.username, password: SUBSCRIBER.password, domain: DOMAIN, realm: 'elsewhere.example' })}`,
        `Authorization: ${digestAuthorization({ challenge, username: 'admin', password: 'admin', domain: DOMAIN })}`,
      ],
    });
    expect(result).toMatchObject({ challenge: 401, final: 403 });
    const decoyKnocks = () => knocks(attacker).then((rows) => rows.filter((knock) => knock.reason === 'decoy'));
    await waitFor(async () => ((await decoyKnocks()).length > 0 ? true : undefined), 3000).catch(() => undefined);
    expect(await decoyKnocks()).toEqual([{ reason: 'decoy', to_uri: `sip:${SUBSCRIBER.username}@${DOMAIN}` }]);
    const ban = await findBan(attacker);
    expect(ban.reason).toBe("decoy username 'admin' touched");
  });

  it('svwar trying a dictionary with a decoy in it is banned on that one name', async () => {
    const attacker = '127.0.0.72';
    const dictionary = path.join(dictionaryDir, 'names.txt');
    fs.writeFileSync(dictionary, 'test\n');
    const scan = await runSipvicious(attacker, 'svwar', ['--force', '-d', dictionary, '--domain', DOMAIN, target()]);
    expect(scan.output).not.toContain('Traceback');
    const ban = await findBan(attacker);
    expect(ban.reason).toBe("decoy username 'test' touched");
    expect(await evidenceOf(ban)).toMatchObject({ rule: 'decoy', user_agents: ['friendly-scanner'] });
    expect(await sipPing(kamailio.host, kamailio.port, DOMAIN, 500, attacker)).toBeNull();
  });

  it('an allowlisted source touching a decoy is recorded but never banned', async () => {
    expect(await sendUnansweredRegister(kamailio, '127.0.0.1', 'admin', DOMAIN)).toBe(401);
    await waitFor(async () =>
      (await knocks('127.0.0.1')).some((knock) => knock.reason === 'decoy') ? true : undefined,
    );
    await new Promise((resolve) => setTimeout(resolve, 1000));
    const bans = await t.http.get('/api/sip-security/bans').set('Authorization', `Bearer ${admin}`).expect(200);
    expect((bans.body as Ban[]).map((ban) => ban.cidr)).not.toContain('127.0.0.1/32');
    expect(await sipPing(kamailio.host, kamailio.port, DOMAIN, 500, '127.0.0.1')).toBe(200);
  });

  it("a real svcrack run's ban names svcrack's user agent and the username it guessed", async () => {
    const attacker = '127.0.0.73';
    const scan = await runSipvicious(attacker, 'svcrack', [
      '-u',
      SUBSCRIBER.username,
      '-r',
      '1-60',
      '-t',
      '0.2',
      '--maximumtime',
      '10',
      '--domain',
      DOMAIN,
      target(),
    ]);
    expect(scan.output).not.toContain('Traceback');
    const ban = await findBan(attacker);
    expect(ban.reason).toMatch(/^\d+ failed registrations for 1 username within 600 s$/);
    const evidence = await evidenceOf(ban);
    expect(evidence).toMatchObject({
      rule: 'max_retry',
      door_knocks: 0,
      usernames: [SUBSCRIBER.username],
      user_agents: ['friendly-scanner'],
    });
    expect(evidence.failed_registrations).toBeGreaterThanOrEqual(5);
    expect(evidence.counts).toEqual({ failed_registration: evidence.failed_registrations });

    const source = await t.http
      .get(`/api/sip-security/sources/${attacker}`)
      .set('Authorization', `Bearer ${admin}`)
      .expect(200);
    expect(source.body).toMatchObject({
      ip: attacker,
      usernames: [SUBSCRIBER.username],
      user_agents: ['friendly-scanner'],
      ban_state: { banned: true },
      bans: [expect.objectContaining({ id: ban.id, state: 'active' })],
    });
  });
});
