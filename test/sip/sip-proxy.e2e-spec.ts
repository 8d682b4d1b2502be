import * as dgram from 'node:dgram';
import { ADMIN, startTestApp, TestApp } from '../support/test-app';
import {
  createSubscriber,
  freeTcpPort,
  KamailioInstance,
  missingSipTools,
  probeUntil,
  rpcUrl,
  sendOptions,
  sendUnknownDomainRequest,
  sendWrongPasswordRegisters,
  sipRegister,
  startKamailio,
} from './kamailio';
import { waitFor } from '../support/wait';
import { describeWith, missingPackages } from '../support/required-tools';

/**
 * `npm run test:sip`: real SIP traffic. Kamailio with deploy/kamailio/kamailio.cfg on this test's database,
 * the app's ban engine, one real subscriber at 127.0.0.1 and an attacker at 127.0.0.2 (not allowlisted).
 */
const DOMAIN = 'regshield.test';
const SUBSCRIBER = { username: '1000', password: 'S3cret-pass' };
const ATTACKER = '127.0.0.2';
/** The promise: the proxy drops a source within 1 s of its ban. */
const ENFORCEMENT_LIMIT_MS = 1000;

/** One OPTIONS from `from` for `domain`, with raw User-Agent bytes; resolves once sent (the answer is not awaited). */
function sendRawOptions(kamailio: KamailioInstance, from: string, domain: string, userAgent: Buffer): Promise<void> {
  const socket = dgram.createSocket('udp4');
  return new Promise((resolve) => {
    socket.bind(0, from, () => {
      const tag = Math.random().toString(36).slice(2);
      const head = [
        `OPTIONS sip:${domain} SIP/2.0`,
        `Via: SIP/2.0/UDP ${from}:${socket.address().port};rport;branch=z9hG4bK${tag}`,
        'Max-Forwards: 70',
        `From: <sip:probe@${domain}>;tag=${tag}`,
        `To: <sip:${domain}>`,
        `Call-ID: ${tag}@regshield-test`,
        'CSeq: 1 OPTIONS',
        'User-Agent: ',
      ].join('\r\n');
      const message = Buffer.concat([
        Buffer.from(head, 'latin1'),
        userAgent,
        Buffer.from('\r\nContent-Length: 0\r\n\r\n'),
      ]);
      socket.send(message, kamailio.port, kamailio.host, () => {
        socket.close();
        resolve();
      });
    });
  });
}

const MISSING_TOOLS = [missingPackages(missingSipTools())];

describeWith(MISSING_TOOLS, 'The SIP door: Kamailio writes, regshield bans, Kamailio enforces', () => {
  jest.setTimeout(90_000);
  let t: TestApp;
  let kamailio: KamailioInstance;
  let admin: string;

  beforeAll(async () => {
    const rpcPort = await freeTcpPort();
    t = await startTestApp({
      env: { SIP_ALLOWLIST: '127.0.0.1/32,::1/128', SIP_BAN_MAX_RETRY: '5', SIP_PROXY_RPC_URLS: rpcUrl(rpcPort) },
    });
    admin = await t.login(ADMIN.email, ADMIN.password);
    await createSubscriber(t.db, SUBSCRIBER.username, SUBSCRIBER.password, DOMAIN);
    kamailio = await startKamailio({ databaseUrl: t.databaseUrl, domain: DOMAIN, rpcPort });
  });

  afterAll(async () => {
    await kamailio?.stop();
    await t?.close();
  });

  /** On failure, the tail of Kamailio's log explains more than the assertion alone. */
  const itWithKamailio = (name: string, fn: () => Promise<void>) =>
    it(name, async () => {
      try {
        await fn();
      } catch (error) {
        throw new Error(`${(error as Error).message}\n--- kamailio log (tail) ---\n${kamailio?.log().slice(-4000)}`, {
          cause: error,
        });
      }
    });

  itWithKamailio('lets the real subscriber register', async () => {
    const result = await sipRegister({ from: '127.0.0.1', port: kamailio.port, domain: DOMAIN, ...SUBSCRIBER });
    expect(result.statuses).toEqual([401, 200]);
  });

  itWithKamailio('records wrong passwords as 403 rows with the right fields, never the 401 challenges', async () => {
    const result = await sendWrongPasswordRegisters({
      from: ATTACKER,
      port: kamailio.port,
      domain: DOMAIN,
      username: SUBSCRIBER.username,
      userAgent: "friendly-scanner'; --",
      count: 3,
    });
    expect(result.statuses).toEqual([401, 403, 401, 403, 401, 403]);
    const rows = await waitFor(async () => {
      const { rows } = await t.db.query(
        `SELECT username, domain, host(source_ip) AS source_ip, source_port, user_agent, response_code, response_reason
           FROM failed_registrations WHERE source_ip = $1`,
        [ATTACKER],
      );
      return rows.length === 3 ? rows : undefined;
    });
    expect(rows).toHaveLength(3);
    for (const row of rows) {
      expect(row).toEqual({
        username: SUBSCRIBER.username,
        domain: DOMAIN,
        source_ip: ATTACKER,
        source_port: expect.any(Number),
        user_agent: "friendly-scanner'; --",
        response_code: 403,
        response_reason: 'Forbidden',
      });
    }
    const { rows: challenges } = await t.db.query(
      'SELECT count(*)::int AS n FROM failed_registrations WHERE response_code = 401',
    );
    expect(challenges[0].n).toBe(0);
  });

  itWithKamailio('records requests for an unknown domain as door knocks', async () => {
    const result = await sendUnknownDomainRequest({ from: ATTACKER, port: kamailio.port, domain: 'victim.invalid' });
    expect(result.status).toBe(404);
    const row = await waitFor(async () => {
      const { rows } = await t.db.query(
        `SELECT method, domain, reason, host(source_ip) AS source_ip FROM door_knock_attempts WHERE source_ip = $1`,
        [ATTACKER],
      );
      return rows[0];
    });
    expect(row).toEqual({ method: 'OPTIONS', domain: 'victim.invalid', reason: 'unknown_domain', source_ip: ATTACKER });
  });

  itWithKamailio(
    'keeps every good row of a write batch that holds a row PostgreSQL refuses (invalid UTF-8)',
    async () => {
      // Sent back to back, both rows land in one batch of the writer (every 100 ms); the batch fails on the
      // bad row, and the rows are then written one by one.
      await Promise.all([
        sendRawOptions(kamailio, '127.0.0.5', 'evil.invalid', Buffer.from([0x62, 0x61, 0x64, 0xff, 0xfe])),
        sendRawOptions(kamailio, '127.0.0.6', 'evil.invalid', Buffer.from('good-agent')),
      ]);
      const good = await waitFor(async () => {
        const { rows } = await t.db.query(
          `SELECT user_agent, reason FROM door_knock_attempts WHERE source_ip = '127.0.0.6'`,
        );
        return rows[0] as { user_agent: string; reason: string } | undefined;
      });
      expect(good).toEqual({ user_agent: 'good-agent', reason: 'unknown_domain' });
      const { rows: bad } = await t.db.query(
        `SELECT count(*)::int AS n FROM door_knock_attempts WHERE source_ip = '127.0.0.5'`,
      );
      expect(bad[0].n).toBe(0);
    },
  );

  itWithKamailio(
    'bans the attacker after the fifth event; within 1 s Kamailio stops answering it, not the subscriber',
    async () => {
      await sendUnknownDomainRequest({ from: ATTACKER, port: kamailio.port, domain: 'victim.invalid' });
      const ban = await waitFor(async () => {
        const response = await t.http.get('/api/sip-security/bans').set('Authorization', `Bearer ${admin}`).expect(200);
        return (response.body as Array<{ cidr: string; source: string; created_at: string }>).find(
          (b) => b.cidr === `${ATTACKER}/32`,
        );
      }, 10_000);
      expect(ban).toMatchObject({ source: 'auto' });

      // An upper bound: the ban was found by polling, so the proxy may have dropped the source even earlier.
      const droppedAt = await probeUntil({ kamailio, from: ATTACKER, domain: DOMAIN, answered: false });
      expect(droppedAt).not.toBeNull();
      expect(droppedAt! - Date.parse(ban.created_at)).toBeLessThanOrEqual(ENFORCEMENT_LIMIT_MS);
      const blocked = await sendOptions({ from: ATTACKER, port: kamailio.port, domain: DOMAIN, recvTimeoutMs: 1500 });
      expect(blocked.answered).toBe(false);
      const stillBlocked = await sendWrongPasswordRegisters({
        from: ATTACKER,
        port: kamailio.port,
        domain: DOMAIN,
        username: SUBSCRIBER.username,
        count: 1,
        recvTimeoutMs: 1500,
      });
      expect(stillBlocked.answered).toBe(false);

      const subscriber = await sipRegister({ from: '127.0.0.1', port: kamailio.port, domain: DOMAIN, ...SUBSCRIBER });
      expect(subscriber.statuses).toEqual([401, 200]);
    },
  );
});
