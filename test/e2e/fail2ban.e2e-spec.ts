import { spawnSync } from 'node:child_process';
import { copyFileSync, cpSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { request as httpRequest } from 'node:http';
import { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { doorKnock } from '../support/sip-events';
import { waitFor } from '../support/wait';
import { describeWith, missingCommand, missingPath } from '../support/required-tools';
import { ADMIN, newUser, startTestApp, TestApp } from '../support/test-app';

/**
 * deploy/fail2ban/ against the real thing: the app writes its SECURITY_LOG_FILE over real HTTP on a real
 * PostgreSQL, and the real `fail2ban-regex` (Debian package fail2ban) reads it with our filter.
 */
jest.setTimeout(60_000);

const FILTER = resolve(__dirname, '../../deploy/fail2ban/filter.d/regshield.conf');
const JAIL = resolve(__dirname, '../../deploy/fail2ban/jail.d/regshield.conf');
const API_KEY = 'proxy-key-0123456789abcdef';
/** A request path that carries a forged "ip" key (the path is logged as it came). */
const INJECTED_PATH = '/api/admin/users?q=","ip":"10.9.9.9","event":"login_failed"';

interface RegexRun {
  /** The "Lines: N lines, M ignored, K matched, L missed" summary. */
  lines: { total: number; ignored: number; matched: number; missed: number };
  /** The matched log lines, as printed by --print-all-matched (the original text, time included). */
  matched: string[];
  /** The address (or subnet) fail2ban took from each failure, in log order. */
  hosts: string[];
  output: string;
}

function runFail2banRegex(logFile: string, filter: string): RegexRun {
  const full = spawnSync('fail2ban-regex', ['--print-all-matched', '--print-no-missed', logFile, filter], {
    encoding: 'utf8',
  });
  if (full.status !== 0) {
    throw new Error(`fail2ban-regex exited with ${full.status}:\n${full.stdout}\n${full.stderr}`);
  }
  const summary = /^Lines: (\d+) lines, (\d+) ignored, (\d+) matched, (\d+) missed/m.exec(full.stdout);
  if (!summary) throw new Error(`no "Lines:" summary in fail2ban-regex output:\n${full.stdout}`);
  const [total, ignored, matched, missed] = summary.slice(1).map(Number);
  const matchedSection = full.stdout.split(/^\|- Matched line\(s\):$/m)[1] ?? '';
  const matchedLines = matchedSection
    .split('\n')
    .filter((line) => line.startsWith('|  {'))
    .map((line) => line.slice(3));

  // `-o ip` prints only the address of each failure, one a line.
  const ips = spawnSync('fail2ban-regex', ['-o', 'ip', logFile, filter], { encoding: 'utf8' });
  if (ips.status !== 0) {
    throw new Error(`fail2ban-regex -o ip exited with ${ips.status}:\n${ips.stdout}\n${ips.stderr}`);
  }
  const hosts = ips.stdout.split('\n').filter((line) => line.trim() !== '');
  return { lines: { total, ignored, matched, missed }, matched: matchedLines, hosts, output: full.stdout };
}

/** A GET with the path sent byte for byte, quotes included. */
async function rawGet(t: TestApp, path: string, headers: Record<string, string>): Promise<number> {
  const server = t.app.getHttpServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  try {
    const { port } = server.address() as AddressInfo;
    return await new Promise<number>((resolve, reject) => {
      const req = httpRequest({ host: '127.0.0.1', port, path, headers }, (response) => {
        response.resume();
        response.on('end', () => resolve(response.statusCode!));
      });
      req.on('error', reject);
      req.end();
    });
  } finally {
    await new Promise((resolve) => server.close(resolve));
  }
}

describeWith([missingCommand('fail2ban-regex', ['--version'], 'apt-get install fail2ban')], 'Fail2Ban', () => {
  describe('Fail2Ban filter (deploy/fail2ban) on the log the app wrote', () => {
    let t: TestApp;
    let workDir: string;
    let logFile: string;
    const bearer = (token: string) => ({ Authorization: `Bearer ${token}` });
    const from = (ip: string) => ({ 'X-Forwarded-For': ip });

    beforeAll(async () => {
      t = await startTestApp({
        env: {
          TRUST_PROXY: 'loopback',
          SIP_INGEST_API_KEY: API_KEY,
          REGISTER_RATE_LIMIT: '2',
          LOGIN_RATE_LIMIT: '3',
          REGISTRATION_ALLOWED_DOMAINS: 'example.com',
        },
      });

      // Web door. 192.0.2.1: three failed logins, then the login limit (3) answers 429.
      await t.http
        .post('/api/auth/login')
        .set(from('192.0.2.1'))
        .send({ email: ADMIN.email, password: 'Wrong1234' })
        .expect(401);
      await t.http
        .post('/api/auth/login')
        .set(from('192.0.2.1'))
        .send({ email: 'nobody@example.com', password: 'Wrong1234' })
        .expect(401);
      await t.http
        .post('/api/auth/login')
        .set(from('192.0.2.1'))
        .send({ email: ADMIN.email, password: 'Wrong5678' })
        .expect(401);
      await t.http
        .post('/api/auth/login')
        .set(from('192.0.2.1'))
        .send({ email: ADMIN.email, password: 'Wrong1234' })
        .expect(429);
      // 192.0.2.2: a domain that may not register.
      await t.http
        .post('/api/auth/register')
        .set(from('192.0.2.2'))
        .send(newUser({ email: 'mallory@evil.test' }))
        .expect(422);
      // 192.0.2.3: registers, registers the same address again (taken), then hits the register limit (2).
      const user = newUser();
      const created = await t.http.post('/api/auth/register').set(from('192.0.2.3')).send(user).expect(201);
      await t.http.post('/api/auth/register').set(from('192.0.2.3')).send(user).expect(409);
      await t.http.post('/api/auth/register').set(from('192.0.2.3')).send(newUser()).expect(429);
      // 192.0.2.5: successful logins only (the admin, who activates the new user, and the user): never counted.
      const login = async (email: string, password: string) =>
        (await t.http.post('/api/auth/login').set(from('192.0.2.5')).send({ email, password }).expect(200)).body
          .access_token as string;
      const admin = await login(ADMIN.email, ADMIN.password);
      await t.http
        .post(`/api/admin/users/${created.body.id}/activate`)
        .set(from('192.0.2.5'))
        .set(bearer(admin))
        .expect(200);
      const userToken = await login(user.email, user.password);
      // 192.0.2.4: a normal user's token on an admin route.
      await t.http.get('/api/admin/users').set(from('192.0.2.4')).set(bearer(userToken)).expect(403);
      // ... once more with a forged "ip" in the logged path: JSON escapes it, the filter must not take it.
      // (Raw HTTP: supertest would percent-encode the quotes.)
      expect(await rawGet(t, INJECTED_PATH, { ...from('192.0.2.4'), ...bearer(userToken) })).toBe(403);
      // An IPv6 client: one failed login.
      await t.http
        .post('/api/auth/login')
        .set(from('2001:db8:ffff::7'))
        .send({ email: 'nobody@example.com', password: 'Wrong1234' })
        .expect(401);

      // SIP door. A manual ban and its lifting by the admin (from 192.0.2.6): never counted, or the admin
      // would be banned.
      const manual = await t.http
        .post('/api/sip-security/bans')
        .set(from('192.0.2.6'))
        .set(bearer(admin))
        .send({ cidr: '198.51.100.0/24', reason: 'svcrack from this network' })
        .expect(201);
      await t.http
        .delete(`/api/sip-security/bans/${manual.body.id}`)
        .set(from('192.0.2.6'))
        .set(bearer(admin))
        .expect(204);
      // Automatic bans: 5 door knocks from 203.0.113.9, and from five addresses of one IPv6 /64.
      await t.http
        .post('/api/sip-security/door-knocks')
        .set('X-Api-Key', API_KEY)
        .send([
          ...Array.from({ length: 5 }, () => doorKnock('203.0.113.9')),
          ...Array.from({ length: 5 }, (_, i) => doorKnock(`2001:db8:5:6::${i + 1}`)),
        ])
        .expect(202);
      const banned = async (cidr: string) => {
        const response = await t.http.get('/api/sip-security/bans').set(bearer(admin)).expect(200);
        return (response.body as Array<{ cidr: string }>).some((ban) => ban.cidr === cidr) ? true : undefined;
      };
      await waitFor(() => banned('203.0.113.9/32'));
      await waitFor(() => banned('2001:db8:5:6::/64'));
      await waitFor(async () =>
        t.securityEvents().filter((e) => e.event === 'sip_ban_created').length === 3 ? true : undefined,
      );

      workDir = mkdtempSync(join(tmpdir(), 'regshield-fail2ban-'));
      logFile = join(workDir, 'security.log');
      writeFileSync(logFile, t.securityLogText());
    });
    afterAll(async () => {
      await t?.close();
      if (workDir) rmSync(workDir, { recursive: true, force: true });
    });

    /** The log lines the filter must match, in log order: what Fail2Ban should count. */
    const expectedFailures = () =>
      t
        .securityLogText()
        .split('\n')
        .filter((line) => line !== '')
        .filter((line) => {
          const event = JSON.parse(line) as Record<string, unknown>;
          return (
            ['login_failed', 'registration_rejected', 'rate_limit_hit', 'admin_access_denied'].includes(
              event.event as string,
            ) ||
            (event.event === 'sip_ban_created' && event.source === 'auto')
          );
        });

    it('wrote every kind of line the filter must tell apart', () => {
      const events = t.securityEvents().map((event) => event.event);
      for (const event of [
        'login_failed',
        'registration_rejected',
        'rate_limit_hit',
        'admin_access_denied',
        'sip_ban_created',
        'registration_attempt',
        'user_created',
        'login_succeeded',
        'sip_ban_lifted',
      ]) {
        expect(events).toContain(event);
      }
      expect(t.securityEvents()).toContainEqual(
        expect.objectContaining({
          event: 'sip_ban_created',
          source: 'auto',
          ip: '2001:db8:5:6::/64',
          cidr: '2001:db8:5:6::/64',
        }),
      );
    });

    it('matches exactly the failure lines, and takes the client address (or banned /64) from each', () => {
      const run = runFail2banRegex(logFile, FILTER);
      const all = t
        .securityLogText()
        .split('\n')
        .filter((line) => line !== '');
      const expected = expectedFailures();
      expect(expected).toHaveLength(12);
      expect(run.lines).toEqual({ total: all.length, ignored: 0, matched: 12, missed: all.length - 12 });
      expect(run.matched).toEqual(expected);
      // The engine bans the two SIP sources in one pass, in no particular order.
      expect([...run.hosts.slice(0, 10), ...run.hosts.slice(10).sort()]).toEqual([
        '192.0.2.1', // login_failed ×3
        '192.0.2.1',
        '192.0.2.1',
        '192.0.2.1', // rate_limit_hit (login)
        '192.0.2.2', // registration_rejected (domain_not_allowed)
        '192.0.2.3', // registration_rejected (email_taken)
        '192.0.2.3', // rate_limit_hit (register)
        '192.0.2.4', // admin_access_denied
        '192.0.2.4', // admin_access_denied, the forged "ip" in its path ignored
        '2001:db8:ffff::7', // login_failed
        '2001:db8:5:6::/64', // sip_ban_created (auto, IPv6 /64)
        '203.0.113.9', // sip_ban_created (auto)
      ]);
      for (const line of run.matched) {
        expect(line).not.toMatch(
          /"event":"(login_succeeded|user_created|registration_attempt|admin_action|sip_ban_lifted)"/,
        );
        expect(line).not.toMatch(/"source":"manual"/);
      }
      expect(t.securityEvents()).toContainEqual(
        expect.objectContaining({ event: 'admin_access_denied', path: INJECTED_PATH }),
      );
      expect(run.hosts).not.toContain('10.9.9.9');
      expect(run.hosts).not.toContain('192.0.2.5');
      expect(run.hosts).not.toContain('192.0.2.6');
    });

    it('reads the "time" field as the time of each failure, in UTC whatever the local time zone', () => {
      // A zone far from UTC: reading "Z" times as local time would shift every failure by hours.
      const run = spawnSync('fail2ban-regex', ['-o', 'row', logFile, FILTER], {
        encoding: 'utf8',
        env: { ...process.env, TZ: 'America/New_York' },
      });
      expect(run.status).toBe(0);
      // One row per failure: ['<ip>',\t<epoch seconds>,\t{...}],
      const times = run.stdout
        .split('\n')
        .filter((line) => line.trim() !== '')
        .map((line) => Number(/^\['[^']+',\s+([\d.]+),/.exec(line)?.[1]));
      const expected = expectedFailures().map((line) => Date.parse((JSON.parse(line) as { time: string }).time) / 1000);
      expect(times).toHaveLength(expected.length);
      // fail2ban keeps whole seconds.
      times.forEach((time, i) => expect(time).toBe(Math.floor(expected[i])));
    });

    it('splits the doors with mode=web and mode=sip', () => {
      const web = runFail2banRegex(logFile, `${FILTER}[mode=web]`);
      expect(web.lines.matched).toBe(10);
      expect(new Set(web.hosts)).toEqual(
        new Set(['192.0.2.1', '192.0.2.2', '192.0.2.3', '192.0.2.4', '2001:db8:ffff::7']),
      );
      const sip = runFail2banRegex(logFile, `${FILTER}[mode=sip]`);
      expect(sip.lines.matched).toBe(2);
      expect(new Set(sip.hosts)).toEqual(new Set(['203.0.113.9', '2001:db8:5:6::/64']));
    });

    const stockJail = [missingPath('/etc/fail2ban/jail.conf', 'apt-get install fail2ban')];
    describeWith(stockJail, 'the jails', () => {
      it('has jails that fail2ban-client accepts (configuration test and dump, no server)', () => {
        // The distribution's stock configuration (not the host's local changes) plus ours, the log path
        // pointed at the log the app wrote.
        const confDir = join(workDir, 'etc-fail2ban');
        mkdirSync(confDir);
        for (const entry of readdirSync('/etc/fail2ban')) {
          if (
            entry === 'fail2ban.conf' ||
            entry === 'jail.conf' ||
            /^paths-.*\.conf$/.test(entry) ||
            entry === 'action.d' ||
            entry === 'filter.d'
          ) {
            cpSync(join('/etc/fail2ban', entry), join(confDir, entry), { recursive: true });
          }
        }
        mkdirSync(join(confDir, 'jail.d'));
        copyFileSync(FILTER, join(confDir, 'filter.d/regshield.conf'));
        copyFileSync(JAIL, join(confDir, 'jail.d/regshield.conf'));
        writeFileSync(
          join(confDir, 'jail.d/regshield.local'),
          `[regshield-web]\nlogpath = ${logFile}\n[regshield-sip]\nlogpath = ${logFile}\n`,
        );
        const test = spawnSync('fail2ban-client', ['-c', confDir, '-t'], { encoding: 'utf8' });
        expect({ status: test.status, output: test.stdout + test.stderr }).toMatchObject({ status: 0 });
        const dump = spawnSync('fail2ban-client', ['-c', confDir, '-d'], { encoding: 'utf8' });
        expect(dump.status).toBe(0);
        const settings = dump.stdout.split('\n');
        const has = (line: string) => expect(settings).toContain(line);
        has(`['add', 'regshield-web', 'auto']`);
        has(`['add', 'regshield-sip', 'auto']`);
        has(`['set', 'regshield-web', 'maxretry', 5]`);
        has(`['set', 'regshield-sip', 'maxretry', 1]`);
        has(`['set', 'regshield-web', 'bantime.increment', True]`);
        has(`['set', 'regshield-sip', 'bantime.increment', True]`);
        has(`['set', 'regshield-sip', 'addignoreip', '127.0.0.1/8', '::1']`);
        // The SIP door is closed on its ports, UDP and TCP (one action each); the web door on the HTTP ports.
        const actions = (jail: string) =>
          settings
            .filter((line) => line.startsWith(`['multi-set', '${jail}', 'action', `))
            .map((line) => ({ name: /'action', '([^']+)'/.exec(line)![1], line }));
        const sip = actions('regshield-sip');
        expect(sip.map((action) => action.name.replace(/.*-/, '')).sort()).toEqual(['tcp', 'udp']);
        for (const action of sip) {
          expect(action.line).toContain(`['protocol', '${action.name.replace(/.*-/, '')}']`);
          expect(action.line).toContain(`['port', '5060,5061']`);
        }
        const web = actions('regshield-web');
        expect(web).toHaveLength(1);
        expect(web[0].line).toContain(`['port', 'http,https']`);
      });
    });
  });

  describe('Fail2Ban filter and wrong X-Api-Key values (issue 6, defect 15)', () => {
    let t: TestApp;
    let workDir: string;

    beforeAll(async () => {
      t = await startTestApp({
        env: { TRUST_PROXY: 'loopback', SIP_INGEST_API_KEY: API_KEY, API_KEY_RATE_LIMIT: '2' },
      });
      const knock = (ip: string, key: string) =>
        t.http
          .post('/api/sip-security/door-knocks')
          .set('X-Forwarded-For', ip)
          .set('X-Api-Key', key)
          .send(doorKnock('198.51.100.77'));
      await knock('192.0.2.40', 'wrong-key-0123456789').expect(401);
      await knock('192.0.2.40', 'wrong-key-9876543210').expect(401);
      await knock('192.0.2.40', 'wrong-key-5555555555').expect(429);
      await knock('2001:db8:40::1', 'wrong-key-0123456789').expect(401);
      // The proxy, with the right key: never counted.
      await knock('192.0.2.41', API_KEY).expect(202);
      workDir = mkdtempSync(join(tmpdir(), 'regshield-fail2ban-'));
    });
    afterAll(async () => {
      await t?.close();
      if (workDir) rmSync(workDir, { recursive: true, force: true });
    });

    it('matches every api_key_rejected line (and the 429 after them) with the client address, in the web jail', () => {
      const logFile = join(workDir, 'security.log');
      writeFileSync(logFile, t.securityLogText());
      const rejected = t.securityEvents().filter((event) => event.event === 'api_key_rejected');
      // The third request from 192.0.2.40 is refused (429, rate_limit_hit) before its key is looked at.
      expect(rejected.map((event) => event.ip)).toEqual(['192.0.2.40', '192.0.2.40', '2001:db8:40::1']);
      const web = runFail2banRegex(logFile, `${FILTER}[mode=web]`);
      // Two wrong keys and the rate_limit_hit from 192.0.2.40, one wrong key from the IPv6 client.
      expect(web.hosts).toEqual(['192.0.2.40', '192.0.2.40', '192.0.2.40', '2001:db8:40::1']);
      expect(web.matched.filter((line) => line.includes('"event":"api_key_rejected"'))).toHaveLength(3);
      expect(web.hosts).not.toContain('192.0.2.41');
      expect(runFail2banRegex(logFile, `${FILTER}[mode=sip]`).lines.matched).toBe(0);
    });
  });
});
