import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { KamailioRpcClient } from '../../src/sip-security/kamailio-rpc.client';
import { describeWith, missingPackages } from '../support/required-tools';
import { SmtpSink } from '../support/smtp-sink';
import { ADMIN, startTestApp, TestApp } from '../support/test-app';
import { mailTo, sleep, waitFor } from '../support/wait';
import {
  createSubscriber,
  freeTcpPort,
  KamailioInstance,
  missingScannerTools,
  missingSipTools,
  registerPhones,
  rpcUrl,
  runSipvicious,
  sendWrongPasswordRegisters,
  sipPing,
  sipRegister,
  startKamailio,
} from './kamailio';

/**
 * The account behind the door, with the real tools against the shipped kamailio.cfg: svcrack holding the real
 * password in its dictionary is caught within 1 s of its success (alert, ban naming the account, account
 * blocked at the proxy, admins e-mailed); the account stays refused until an admin unblocks it; the real
 * subscriber registers untouched; and a phone re-registering costs the database one row per report interval.
 */
const DOMAIN = 'regshield.test';
const VICTIM = { username: '1000', password: 'Victim-S3cret' };
const SUBSCRIBER = { username: '1001', password: 'Phone-1001-secret' };
/** A phone behind the same office NAT as SUBSCRIBER, configured with a stale password. */
const COLLEAGUE = { username: '1002', password: 'Phone-1002-secret' };
const LIMIT_MS = 1000;
/** Rows inserted into registration_successes so far: counted on its daily partitions, not its partitioned parent. */
const INSERTED_ROWS = `SELECT coalesce(sum(s.n_tup_ins), 0)::int AS inserted
  FROM pg_partition_tree('registration_successes') tree JOIN pg_stat_user_tables s ON s.relid = tree.relid`;
const MISSING_TOOLS = [missingPackages([...missingSipTools(), ...missingScannerTools()])];

interface Alert {
  id: number;
  kind: string;
  username: string;
  source_ip: string;
  created_at: string;
  evidence: Record<string, unknown>;
}

describeWith(MISSING_TOOLS, 'SIP accounts against the shipped Kamailio config (svcrack, SIPp)', () => {
  jest.setTimeout(120_000);
  let t: TestApp;
  let kamailio: KamailioInstance;
  let rpc: KamailioRpcClient;
  let admin: string;
  const sink = new SmtpSink();
  const measured: Record<string, number> = {};
  const bearer = () => ({ Authorization: `Bearer ${admin}` });
  const register = (from: string, account: { username: string; password: string }) =>
    sipRegister({ from, port: kamailio.port, domain: DOMAIN, ...account });
  /** Whether the proxy's `acctblock` table holds the key. */
  const proxyHolds = async (key: string): Promise<boolean> => (await rpc.get('acctblock', key)) !== undefined;
  /** The moment the proxy's memory first holds (or no longer holds) the key, polled every 10 ms. */
  const whenProxyHolds = async (key: string, held: boolean, timeoutMs = 10_000): Promise<number> =>
    waitFor(async () => {
      if ((await proxyHolds(key)) === held) return Date.now();
      await sleep(10);
      return undefined;
    }, timeoutMs);

  beforeAll(async () => {
    await sink.start();
    const rpcPort = await freeTcpPort();
    t = await startTestApp({
      env: {
        SIP_ALLOWLIST: '127.0.0.1/32,::1/128',
        SIP_PROXY_RPC_URLS: rpcUrl(rpcPort),
        SMTP_URL: sink.url,
        MAIL_POLL_INTERVAL_MS: '200',
      },
    });
    admin = await t.login(ADMIN.email, ADMIN.password);
    await createSubscriber(t.db, VICTIM.username, VICTIM.password, DOMAIN);
    await createSubscriber(t.db, SUBSCRIBER.username, SUBSCRIBER.password, DOMAIN);
    await createSubscriber(t.db, COLLEAGUE.username, COLLEAGUE.password, DOMAIN);
    kamailio = await startKamailio({ databaseUrl: t.databaseUrl, domain: DOMAIN, rpcPort });
    rpc = new KamailioRpcClient(kamailio.rpcUrl);
  });

  afterAll(async () => {
    await kamailio?.stop();
    await t?.close();
    await sink.stop();
    if (Object.keys(measured).length > 0) console.log(`account compromise latencies (ms): ${JSON.stringify(measured)}`);
  });

  it('the real subscriber registers (401, then 200), reported once, with no alert', async () => {
    expect((await register('127.0.0.72', SUBSCRIBER)).statuses).toEqual([401, 200]);
    const rows = await waitFor(async () => {
      const { rows: found } = await t.db.query(
        `SELECT username, domain, host(source_ip) AS ip, user_agent FROM registration_successes WHERE username = $1`,
        [SUBSCRIBER.username],
      );
      return found.length > 0 ? found : undefined;
    });
    expect(rows).toEqual([
      { username: SUBSCRIBER.username, domain: DOMAIN, ip: '127.0.0.72', user_agent: 'regshield-test' },
    ]);
    await sleep(600);
    const alerts = await t.http.get('/api/sip-security/account-alerts').set(bearer()).expect(200);
    expect(alerts.body).toEqual([]);
  });

  it('re-registrations within the report interval write no row: one row per account and source', async () => {
    const before = await t.db.query(INSERTED_ROWS);
    for (let round = 0; round < 10; round++) {
      expect((await register('127.0.0.72', SUBSCRIBER)).statuses).toEqual([401, 200]);
    }
    // The same account from another address is another source: reported.
    expect((await register('127.0.0.73', SUBSCRIBER)).statuses).toEqual([401, 200]);
    const rows = await waitFor(async () => {
      const { rows: found } = await t.db.query(
        `SELECT host(source_ip) AS ip, count(*)::int AS n FROM registration_successes WHERE username = $1
          GROUP BY source_ip ORDER BY source_ip`,
        [SUBSCRIBER.username],
      );
      return found.length === 2 ? found : undefined;
    });
    await sleep(300);
    expect(rows).toEqual([
      { ip: '127.0.0.72', n: 1 },
      { ip: '127.0.0.73', n: 1 },
    ]);
    const after = await t.db.query(INSERTED_ROWS);
    measured.rowsFor11Registrations = after.rows[0].inserted - before.rows[0].inserted;
  });

  it('1,000 phones behind one NAT registering twice: one row each, the second round none', async () => {
    const nat = '127.0.0.90';
    // A NAT with a thousand phones is what the allowlist is for (pike would call it a flood).
    await t.http
      .post('/api/sip-security/allowlist')
      .set(bearer())
      .send({ cidr: `${nat}/32`, description: 'office NAT' })
      .expect(201);
    const phones = Array.from({ length: 1000 }, (_, i) => ({ username: `p${3000 + i}`, password: `Pw-${3000 + i}-x` }));
    await t.db.query(
      `INSERT INTO subscriber (username, domain, password) SELECT * FROM unnest($1::text[], $2::text[], $3::text[])`,
      [phones.map((p) => p.username), phones.map(() => DOMAIN), phones.map((p) => p.password)],
    );
    const rowsOfPhones = async () =>
      (await t.db.query(`SELECT count(*)::int AS n FROM registration_successes WHERE source_ip = $1`, [nat])).rows[0]
        .n as number;
    for (let round = 1; round <= 2; round++) {
      const statuses = await registerPhones({ from: nat, port: kamailio.port, domain: DOMAIN, phones, rate: 200 });
      expect(statuses.filter((code) => code === 200)).toHaveLength(1000);
      await waitFor(async () => ((await rowsOfPhones()) === 1000 ? true : undefined));
    }
    await sleep(500);
    measured.rowsFor2000RegistrationsOf1000Phones = await rowsOfPhones();
    expect(measured.rowsFor2000RegistrationsOf1000Phones).toBe(1000);
  });

  it('svcrack with the real password: alert, ban naming the account, account blocked at the proxy and e-mail, within 1 s', async () => {
    const dictionary = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'regshield-svcrack-')), 'words.txt');
    fs.writeFileSync(dictionary, ['123456', 'password', 'letmein', VICTIM.password, 'qwerty', ''].join('\n'));
    const blockedAt = whenProxyHolds(`${VICTIM.username}@${DOMAIN}`, true, 60_000);
    const scan = await runSipvicious('127.0.0.70', 'svcrack', [
      '-u',
      VICTIM.username,
      '-d',
      dictionary,
      '-t',
      '0.05',
      '--domain',
      DOMAIN,
      `udp://${kamailio.host}:${kamailio.port}`,
    ]);
    fs.rmSync(path.dirname(dictionary), { recursive: true, force: true });
    expect(scan.output).toContain(VICTIM.password);

    const success = await waitFor(async () => {
      const { rows } = await t.db.query<{ created_at: Date }>(
        `SELECT created_at FROM registration_successes WHERE username = $1 AND source_ip = '127.0.0.70'`,
        [VICTIM.username],
      );
      return rows[0];
    });
    const successAt = success.created_at.getTime();
    measured.successToProxyBlock = (await blockedAt) - successAt;

    const mail = await mailTo(sink, ADMIN.email, `SIP account ${VICTIM.username}@${DOMAIN} compromised`);
    measured.successToEmail = Date.now() - successAt;
    expect(mail.raw).toContain('127.0.0.70');

    const [alert] = (await t.http.get('/api/sip-security/account-alerts').set(bearer()).expect(200)).body as Alert[];
    expect(alert).toMatchObject({ kind: 'credential_compromise', username: VICTIM.username, source_ip: '127.0.0.70' });
    expect(alert.evidence).toMatchObject({ rule: 'failed_then_succeeded', failed_for_account: 3 });
    measured.successToAlert = Date.parse(alert.created_at) - successAt;
    const { rows: bans } = await t.db.query<{ reason: string; created_at: Date }>(
      `SELECT reason, created_at FROM sip_bans WHERE cidr = '127.0.0.70/32'`,
    );
    expect(bans).toHaveLength(1);
    expect(bans[0].reason).toContain(`${VICTIM.username}@${DOMAIN}`);
    measured.successToBan = bans[0].created_at.getTime() - successAt;
    expect(await rpc.get('ipban', '127.0.0.70')).toBeDefined();
    expect(t.securityEvents()).toContainEqual(
      expect.objectContaining({ event: 'sip_account_compromised', username: VICTIM.username, ip: '127.0.0.70' }),
    );

    expect(measured.successToAlert).toBeLessThanOrEqual(LIMIT_MS);
    expect(measured.successToBan).toBeLessThanOrEqual(LIMIT_MS);
    expect(measured.successToProxyBlock).toBeLessThanOrEqual(LIMIT_MS);
    // The outbox sends at once after the commit; the SMTP exchange itself is the margin.
    expect(measured.successToEmail).toBeLessThanOrEqual(LIMIT_MS + 500);
  });

  it('the right password from a clean address is refused (403) until an admin unblocks, then accepted within 1 s', async () => {
    expect((await register('127.0.0.74', VICTIM)).statuses).toEqual([401, 403]);
    const [block] = (await t.http.get('/api/sip-security/account-blocks').set(bearer()).expect(200)).body as Array<{
      id: number;
      username: string;
    }>;
    expect(block.username).toBe(VICTIM.username);

    const at = Date.now();
    await t.http.delete(`/api/sip-security/account-blocks/${block.id}`).set(bearer()).expect(204);
    measured.unblockToProxy = (await whenProxyHolds(`${VICTIM.username}@${DOMAIN}`, false)) - at;
    expect(measured.unblockToProxy).toBeLessThanOrEqual(LIMIT_MS);
    expect((await register('127.0.0.74', VICTIM)).statuses).toEqual([401, 200]);
  });

  it('a block set by an admin is enforced at the proxy within 1 s, also for one source only', async () => {
    const at = Date.now();
    await t.http
      .post('/api/sip-security/account-blocks')
      .set(bearer())
      .send({ username: SUBSCRIBER.username, domain: DOMAIN, reason: 'phone misconfigured', source_ip: '127.0.0.75' })
      .expect(201);
    measured.manualSourceBlockToProxy =
      (await whenProxyHolds(`${SUBSCRIBER.username}@${DOMAIN}|127.0.0.75`, true)) - at;
    expect(measured.manualSourceBlockToProxy).toBeLessThanOrEqual(LIMIT_MS);
    expect((await register('127.0.0.75', SUBSCRIBER)).statuses).toEqual([403]);
    expect((await register('127.0.0.72', SUBSCRIBER)).statuses).toEqual([401, 200]);
  });

  it("a misconfigured phone behind an office's NAT gets its username blocked from there, never the office", async () => {
    const office = '127.0.0.80';
    expect((await register(office, SUBSCRIBER)).statuses).toEqual([401, 200]);
    await sleep(600);
    const wrong = await sendWrongPasswordRegisters({
      from: office,
      port: kamailio.port,
      domain: DOMAIN,
      username: COLLEAGUE.username,
      count: 6,
      rate: 20,
    });
    expect(wrong.statuses.filter((code) => code === 403)).toHaveLength(6);
    await whenProxyHolds(`${COLLEAGUE.username}@${DOMAIN}|${office}`, true);
    const recorded = async () =>
      (await t.db.query(`SELECT count(*)::int AS n FROM failed_registrations WHERE source_ip = $1`, [office])).rows[0]
        .n;
    const failuresBefore = await recorded();

    // The phone keeps retrying: refused at once, before the digest, and no longer recorded.
    expect((await register(office, COLLEAGUE)).statuses).toEqual([403]);
    // The office is served: not banned, its other phones register.
    expect(await sipPing(kamailio.host, kamailio.port, DOMAIN, 500, office)).toBe(200);
    expect((await register(office, SUBSCRIBER)).statuses).toEqual([401, 200]);
    // The account itself works from anywhere else.
    expect((await register('127.0.0.81', COLLEAGUE)).statuses).toEqual([401, 200]);
    await sleep(600);
    expect(await recorded()).toBe(failuresBefore);
    const bans = await t.db.query(`SELECT 1 FROM sip_bans WHERE cidr = $1`, [`${office}/32`]);
    expect(bans.rows).toEqual([]);

    // A stranger with the very same failures, never registered from there, is banned as a scanner.
    const stranger = '127.0.0.82';
    await sendWrongPasswordRegisters({
      from: stranger,
      port: kamailio.port,
      domain: DOMAIN,
      username: COLLEAGUE.username,
      count: 6,
      rate: 20,
    });
    await waitFor(async () => {
      const banned = await t.db.query(`SELECT 1 FROM sip_bans WHERE cidr = $1 AND lifted_at IS NULL`, [
        `${stranger}/32`,
      ]);
      return banned.rows.length > 0 ? true : undefined;
    });
  });

  it('a restarted proxy enforces the blocks from the database before the service pushes anything', async () => {
    await kamailio.stop();
    const rpcPort = Number(new URL(kamailio.rpcUrl).port);
    kamailio = await startKamailio({ databaseUrl: t.databaseUrl, domain: DOMAIN, rpcPort, port: kamailio.port });
    rpc = new KamailioRpcClient(kamailio.rpcUrl);
    expect(await proxyHolds(`${SUBSCRIBER.username}@${DOMAIN}|127.0.0.75`)).toBe(true);
    expect((await register('127.0.0.75', SUBSCRIBER)).statuses).toEqual([403]);
  });
});
