import { ADMIN, startTestApp, TestApp } from '../support/test-app';
import {
  createSubscriber,
  freeTcpPort,
  KamailioInstance,
  missingScannerTools,
  missingSipTools,
  rpcUrl,
  runSipvicious,
  sendOptionsFlood,
  sendUnansweredRegister,
  sipPing,
  sipRegister,
  startKamailio,
} from './kamailio';
import { waitFor } from '../support/wait';
import { describeWith, missingPackages } from '../support/required-tools';

/**
 * The real scanners (Debian's SIPVicious), the scans that used to leave no trace, and a flood, against the
 * shipped kamailio.cfg and the app's ban engine. Each attacker has its own loopback address.
 */
const DOMAIN = 'regshield.test';
const SUBSCRIBER = { username: '1000', password: 'S3cret-pass' };
const CHALLENGE_TIMEOUT_SECONDS = 2;
const UNANSWERED_LIMIT = 3;

const MISSING_TOOLS = [missingPackages([...missingSipTools(), ...missingScannerTools()])];

interface Ban {
  cidr: string;
  source: string;
  created_at: string;
}

describeWith(MISSING_TOOLS, 'Scanners and floods against the shipped Kamailio config', () => {
  jest.setTimeout(120_000);
  let t: TestApp;
  let kamailio: KamailioInstance;
  let admin: string;

  const findBan = async (address: string, timeoutMs = 15_000): Promise<Ban> =>
    waitFor(async () => {
      const response = await t.http.get('/api/sip-security/bans').set('Authorization', `Bearer ${admin}`).expect(200);
      return (response.body as Ban[]).find((ban) => ban.cidr === `${address}/32`);
    }, timeoutMs);
  const knocks = async (address: string): Promise<Array<{ reason: string }>> =>
    (await t.db.query('SELECT reason FROM door_knock_attempts WHERE source_ip = $1 ORDER BY id', [address]))
      .rows as Array<{ reason: string }>;
  const target = () => `udp://${kamailio.host}:${kamailio.port}`;

  beforeAll(async () => {
    const rpcPort = await freeTcpPort();
    t = await startTestApp({ env: { SIP_ALLOWLIST: '127.0.0.1/32,::1/128', SIP_PROXY_RPC_URLS: rpcUrl(rpcPort) } });
    admin = await t.login(ADMIN.email, ADMIN.password);
    await createSubscriber(t.db, SUBSCRIBER.username, SUBSCRIBER.password, DOMAIN);
    for (let phone = 2001; phone <= 2008; phone++) {
      await createSubscriber(t.db, String(phone), `Phone-${phone}-secret`, DOMAIN);
    }
    kamailio = await startKamailio({
      databaseUrl: t.databaseUrl,
      domain: DOMAIN,
      rpcPort,
      challengeTimeoutSeconds: CHALLENGE_TIMEOUT_SECONDS,
      unansweredLimit: UNANSWERED_LIMIT,
    });
  });

  afterAll(async () => {
    await kamailio?.stop();
    await t?.close();
  });

  it('svmap (OPTIONS to the proxy address) is an unknown_domain door knock', async () => {
    const scan = await runSipvicious('127.0.0.41', 'svmap', ['-p', String(kamailio.port), kamailio.host]);
    expect(scan.output).toContain(`${kamailio.host}:${kamailio.port}`);
    const rows = await waitFor(async () => {
      const found = await knocks('127.0.0.41');
      return found.length > 0 ? found : undefined;
    });
    expect(rows.map((row) => row.reason)).toEqual(['unknown_domain']);
  });

  it('svcrack is banned after its fifth wrong password and cut off within 1 s of the ban', async () => {
    const scan = await runSipvicious('127.0.0.43', 'svcrack', [
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
    const ban = await findBan('127.0.0.43');
    const { rows } = await t.db.query(
      `SELECT count(*)::int AS total,
              count(*) FILTER (WHERE created_at > $2::timestamptz + interval '1 second')::int AS late,
              count(DISTINCT user_agent)::int AS agents, min(user_agent) AS agent
         FROM failed_registrations WHERE source_ip = $1`,
      ['127.0.0.43', ban.created_at],
    );
    expect(rows[0]).toMatchObject({ late: 0, agents: 1, agent: 'friendly-scanner' });
    expect(rows[0].total).toBeGreaterThanOrEqual(5);
    expect(rows[0].total).toBeLessThan(60);
  });

  it('a svwar sweep of the served domain (nothing to enumerate) is recorded as username_sweep and banned', async () => {
    // svwar stops after the first identical 401 (enumeration defeated), so a sweep is several runs.
    const runs = ['100-199', '200-299', '300-399', '400-499', '500-599'].map((range) =>
      runSipvicious('127.0.0.45', 'svwar', ['--force', '-e', range, '--domain', DOMAIN, target()]),
    );
    for (const scan of await Promise.all(runs)) expect(scan.output).toContain('found nothing');
    await findBan('127.0.0.45', 20_000);
    const rows = await knocks('127.0.0.45');
    expect(rows.length).toBeGreaterThanOrEqual(5);
    // Runs may repeat an extension, which then counts as unanswered rather than as a new username.
    expect(rows.map((row) => row.reason)).toContain('username_sweep');
    expect(rows.every((row) => ['username_sweep', 'unanswered_challenges'].includes(row.reason))).toBe(true);

    const afterBan = await runSipvicious('127.0.0.45', 'svwar', [
      '--force',
      '-e',
      '600-610',
      '--domain',
      DOMAIN,
      target(),
    ]);
    expect(afterBan.output).toContain('timed out');
  });

  it('challenges never answered for one username are unanswered_challenges, and banned', async () => {
    for (let attempt = 0; attempt < UNANSWERED_LIMIT + 5; attempt++) {
      expect(await sendUnansweredRegister(kamailio, '127.0.0.47', SUBSCRIBER.username, DOMAIN)).toBe(401);
    }
    await findBan('127.0.0.47', 20_000);
    const rows = await knocks('127.0.0.47');
    expect(rows.length).toBeGreaterThanOrEqual(5);
    expect(new Set(rows.map((row) => row.reason))).toEqual(new Set(['unanswered_challenges']));
  });

  it('never counts phones that answer their challenges, eight of them behind one NAT re-registering after an outage', async () => {
    // Another /24 than the scanners of the tests before: pike counts a new address's requests on the closest
    // prefix of its tree it already holds until that prefix is hot, so the NAT would share 127.0.0/24's heat
    // with svcrack and svwar, and be refused as a flood on its first REGISTER (an office in a scanner's /24 is
    // what the allowlist is for: allowlisted sources are never pike-checked).
    const nat = '127.0.9.50';
    for (let round = 0; round < 2; round++) {
      const registrations = await Promise.all(
        Array.from({ length: 8 }, (_, i) =>
          sipRegister({
            from: nat,
            port: kamailio.port,
            domain: DOMAIN,
            username: String(2001 + i),
            password: `Phone-${2001 + i}-secret`,
          }),
        ),
      );
      for (const registration of registrations) expect(registration.statuses).toEqual([401, 200]);
    }
    // Long enough for any challenge to expire and the engine to look twice.
    await new Promise((resolve) => setTimeout(resolve, CHALLENGE_TIMEOUT_SECONDS * 1000 + 2500));
    expect(await knocks(nat)).toEqual([]);
    expect(await sipPing(kamailio.host, kamailio.port, DOMAIN, 500, nat)).toBe(200);
  });

  it('a flood from one source becomes flood door knocks, a ban and silence; an allowlisted trunk is never flood-checked', async () => {
    await t.http
      .post('/api/sip-security/allowlist')
      .set('Authorization', `Bearer ${admin}`)
      .send({ cidr: '127.0.0.61/32', description: 'trunk' })
      .expect(201);
    const [flood, trunk] = await Promise.all([
      sendOptionsFlood({
        from: '127.0.0.60',
        port: kamailio.port,
        domain: DOMAIN,
        calls: 2400,
        rate: 300,
        recvTimeoutMs: 1000,
      }),
      sendOptionsFlood({
        from: '127.0.0.61',
        port: kamailio.port,
        domain: DOMAIN,
        calls: 1500,
        rate: 300,
        recvTimeoutMs: 1000,
      }),
    ]);
    await findBan('127.0.0.60');
    expect(new Set((await knocks('127.0.0.60')).map((row) => row.reason))).toEqual(new Set(['flood']));
    expect(flood.statuses.length).toBeLessThan(2400);
    expect(await sipPing(kamailio.host, kamailio.port, DOMAIN, 300, '127.0.0.60')).toBeNull();

    expect(trunk.exitCode).toBe(0);
    expect(trunk.statuses.filter((code) => code === 200).length).toBeGreaterThanOrEqual(1500);
    expect(await knocks('127.0.0.61')).toEqual([]);
  });
});
