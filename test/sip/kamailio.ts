/**
 * Test helpers that drive a real Kamailio (deploy/kamailio/kamailio.cfg) and SIPp on loopback.
 *
 *   missingSipTools()  -> [] or the Debian packages to install; call it at load time, for describeWith
 *   await createSubscriber(databaseUrl, '1000', 'secret', 'regshield.test');   // creates `subscriber` if missing
 *   const rpcPort = await freeTcpPort();   // regshield's SIP_PROXY_RPC_URLS=http://127.0.0.1:<rpcPort>/RPC
 *   const kam = await startKamailio({ databaseUrl, domain: 'regshield.test', rpcPort });
 *   await sipRegister({ port: kam.port, username: '1000', password: 'secret', domain: 'regshield.test' });
 *   await kam.stop();
 *
 * The database must already have regshield's schema (failed_registrations, door_knock_attempts, sip_bans,
 * sip_allowlist, the views Kamailio loads its ban tables from). The `subscriber` table is Kamailio's, not regshield's: the test
 * owns it (createSubscriber creates it from deploy/kamailio/subscriber.sql).
 *
 * Only node's child_process / dgram / fs and `pg` are used. Every child process is killed on stop() or
 * timeout; every temp dir is removed.
 */
import { spawn, spawnSync, ChildProcess } from 'node:child_process';
import { createHash } from 'node:crypto';
import * as dgram from 'node:dgram';
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import { Client } from 'pg';
import { sleep, waitFor } from '../support/wait';

const ROOT = path.resolve(__dirname, '..', '..');
export const KAMAILIO_CFG = path.join(ROOT, 'deploy', 'kamailio', 'kamailio.cfg');
export const SUBSCRIBER_SQL = path.join(ROOT, 'deploy', 'kamailio', 'subscriber.sql');
const SCENARIOS = path.join(__dirname, 'scenarios');
const KAMAILIO_MODULES = [
  '/usr/lib/x86_64-linux-gnu/kamailio/modules',
  '/usr/lib/kamailio/modules',
  '/usr/local/lib64/kamailio/modules',
];

/** stdout + stderr of a short command ('' if it cannot run). Synchronous, so a spec can decide at load time. */
function output(cmd: string, args: string[], timeoutMs = 5000): string {
  const run = spawnSync(cmd, args, { encoding: 'utf8', timeout: timeoutMs });
  return `${run.stdout ?? ''}${run.stderr ?? ''}`;
}

/**
 * The Debian packages the SIP end-to-end test needs and this machine lacks (empty: everything is there).
 * Synchronous so that the spec chooses, through describeWith, to run or skip while Jest collects it: a test
 * that cannot run must be reported as skipped (a failure under CI), never as passed.
 */
export function missingSipTools(): string[] {
  const missing: string[] = [];
  if (!/kamailio \d/.test(output('kamailio', ['-v']))) missing.push('kamailio');
  if (!KAMAILIO_MODULES.some((dir) => fs.existsSync(path.join(dir, 'db_postgres.so')))) {
    missing.push('kamailio-postgres-modules');
  }
  if (!/SIPp v/.test(output('sipp', ['-v']))) missing.push('sip-tester');
  return missing;
}

/** A UDP port on host that nothing listens on right now. */
export function freeUdpPort(host = '127.0.0.1'): Promise<number> {
  return new Promise((resolve, reject) => {
    const sock = dgram.createSocket(host.includes(':') ? 'udp6' : 'udp4');
    sock.once('error', reject);
    sock.bind(0, host, () => {
      const { port } = sock.address();
      sock.close(() => resolve(port));
    });
  });
}

/** A TCP port on 127.0.0.1 that nothing listens on right now (for Kamailio's JSON-RPC). */
export function freeTcpPort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

/** The URL regshield pushes bans to (SIP_PROXY_RPC_URLS) for a Kamailio started with this RPC port. */
export function rpcUrl(rpcPort: number): string {
  return `http://127.0.0.1:${rpcPort}/RPC`;
}

/** postgres://user:pass@host:port/db as Kamailio's db_postgres wants it (no query string, no quotes). */
export function toKamailioDbUrl(databaseUrl: string): string {
  const u = new URL(databaseUrl);
  if (!/^postgres(ql)?:$/.test(u.protocol)) throw new Error(`not a postgres URL: ${databaseUrl}`);
  const auth = u.username
    ? `${decodeURIComponent(u.username)}${u.password ? `:${decodeURIComponent(u.password)}` : ''}@`
    : '';
  const url = `postgres://${auth}${u.hostname || '127.0.0.1'}${u.port ? `:${u.port}` : ''}${u.pathname}`;
  if (/["\s]/.test(url)) throw new Error('database URL must not contain double quotes or spaces (Kamailio define)');
  return url;
}

export interface KamailioOptions {
  databaseUrl: string;
  /** served SIP domain(s); default regshield.test */
  domain?: string | string[];
  host?: string;
  /** UDP port; default: a free one */
  port?: number;
  /** TCP port of Kamailio's JSON-RPC (regshield pushes bans there); default: a free one */
  rpcPort?: number;
  /** CHALLENGE_TIMEOUT, UNANSWERED_LIMIT, SWEEP_LIMIT of kamailio.cfg */
  challengeTimeoutSeconds?: number;
  unansweredLimit?: number;
  sweepLimit?: number;
  /** FAIL_CLOSED: 503 to every non-allowlisted source while regshield's heartbeat is missing */
  failClosed?: boolean;
  floodLogIntervalSeconds?: number;
  /** pike reqs_density_per_unit; default 30 per 2 s */
  pikeDensity?: number;
  asyncWrites?: boolean;
  /** SIP_CREDENTIALS_CACHE_TTL / SIP_CREDENTIALS_RECHECK of kamailio.cfg (seconds; defaults 60 / 5) */
  credentialsCacheTtlSeconds?: number;
  credentialsRecheckSeconds?: number;
  /** NONCE_EXPIRE of kamailio.cfg: seconds a challenge's nonce may be answered (default 300) */
  nonceExpireSeconds?: number;
  cfgPath?: string;
  /** give up waiting for the first answer after this long; default 10 s */
  startTimeoutMs?: number;
}

export interface KamailioInstance {
  host: string;
  port: number;
  /** regshield's SIP_PROXY_RPC_URLS entry for this instance */
  rpcUrl: string;
  pid: number;
  /** the exact argv used */
  args: string[];
  /** everything Kamailio printed so far (it logs to stderr with -E) */
  log(): string;
  stop(): Promise<void>;
}

/** Kamailio's argv for these options (useful for docs and debugging). */
export function kamailioArgs(opts: KamailioOptions & { port: number; rpcPort: number }, runDir: string): string[] {
  const host = opts.host ?? '127.0.0.1';
  const dbUrl = toKamailioDbUrl(opts.databaseUrl);
  const domains = (Array.isArray(opts.domain) ? opts.domain : [opts.domain ?? 'regshield.test']).map((d) =>
    d.toLowerCase(),
  );
  for (const d of domains) if (!/^[a-z0-9.-]+$/.test(d)) throw new Error(`bad SIP domain ${d}`);
  const listenHost = host.includes(':') ? `[${host}]` : host;
  const args = [
    '-f',
    opts.cfgPath ?? KAMAILIO_CFG,
    '-DD',
    '-E',
    '-Y',
    runDir,
    '-P',
    path.join(runDir, 'kamailio.pid'),
    '-m',
    '32',
    '-M',
    '8',
    '-A',
    `LISTEN=udp:${listenHost}:${opts.port}`,
    // string defines keep their double quotes: -A 'NAME="value"'
    '-A',
    `DBURL="${dbUrl}"`,
    '-A',
    `SQLCON="rs=>${dbUrl}"`,
    '-A',
    `SIP_DOMAINS="${domains.join(',')}"`,
    '-A',
    `RPC_PORT=${opts.rpcPort}`,
    '-A',
    'CHILDREN=2',
  ];
  if (opts.challengeTimeoutSeconds) args.push('-A', `CHALLENGE_TIMEOUT=${Math.floor(opts.challengeTimeoutSeconds)}`);
  if (opts.unansweredLimit) args.push('-A', `UNANSWERED_LIMIT=${Math.floor(opts.unansweredLimit)}`);
  if (opts.sweepLimit) args.push('-A', `SWEEP_LIMIT=${Math.floor(opts.sweepLimit)}`);
  if (opts.failClosed) args.push('-A', 'FAIL_CLOSED');
  if (opts.floodLogIntervalSeconds) args.push('-A', `FLOOD_LOG_INTERVAL=${Math.floor(opts.floodLogIntervalSeconds)}`);
  if (opts.pikeDensity) args.push('-A', `PIKE_DENSITY=${Math.floor(opts.pikeDensity)}`);
  if (opts.asyncWrites) args.push('-A', 'WITH_ASYNC_WRITES');
  if (opts.credentialsCacheTtlSeconds !== undefined) {
    args.push('-A', `SIP_CREDENTIALS_CACHE_TTL=${Math.floor(opts.credentialsCacheTtlSeconds)}`);
  }
  if (opts.credentialsRecheckSeconds !== undefined) {
    args.push('-A', `SIP_CREDENTIALS_RECHECK=${Math.floor(opts.credentialsRecheckSeconds)}`);
  }
  if (opts.nonceExpireSeconds) args.push('-A', `NONCE_EXPIRE=${Math.floor(opts.nonceExpireSeconds)}`);
  return args;
}

/**
 * Sends one OPTIONS for a served domain from `from` (default: the proxy's own address) and resolves with the
 * status line's code, or null on timeout.
 */
export function sipPing(
  host: string,
  port: number,
  domain: string,
  timeoutMs = 500,
  from = host,
): Promise<number | null> {
  return new Promise((resolve) => {
    const sock = dgram.createSocket(host.includes(':') ? 'udp6' : 'udp4');
    let done = false;
    const finish = (code: number | null) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      sock.close();
      resolve(code);
    };
    const timer = setTimeout(() => finish(null), timeoutMs);
    sock.on('message', (msg) => {
      const m = /^SIP\/2\.0 (\d{3})/.exec(msg.toString('latin1'));
      if (m) finish(Number(m[1]));
    });
    sock.on('error', () => finish(null));
    sock.bind(0, from, () => {
      const local = sock.address();
      const lh = host.includes(':') ? `[${local.address}]` : local.address;
      const tag = Math.random().toString(36).slice(2);
      const msg = [
        `OPTIONS sip:${domain} SIP/2.0`,
        `Via: SIP/2.0/UDP ${lh}:${local.port};rport;branch=z9hG4bK${tag}`,
        'Max-Forwards: 70',
        `From: <sip:ping@${domain}>;tag=${tag}`,
        `To: <sip:${domain}>`,
        `Call-ID: ${tag}@regshield-test`,
        'CSeq: 1 OPTIONS',
        'User-Agent: regshield-test-ping',
        'Content-Length: 0',
        '',
        '',
      ].join('\r\n');
      sock.send(msg, port, host);
    });
  });
}

function waitExit(child: ChildProcess, ms: number): Promise<boolean> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve(true);
  return new Promise((resolve) => {
    const t = setTimeout(() => resolve(false), ms);
    child.once('exit', () => {
      clearTimeout(t);
      resolve(true);
    });
  });
}

function killGroup(child: ChildProcess, signal: NodeJS.Signals): void {
  if (child.pid === undefined) return;
  try {
    process.kill(-child.pid, signal); // the whole process group: main process and its workers
  } catch {
    try {
      child.kill(signal);
    } catch {
      /* already gone */
    }
  }
}

/**
 * Starts Kamailio in the foreground with its own run dir, and resolves once it answers an OPTIONS from the
 * listen host (an answered OPTIONS for a served domain writes no row). Rejects (with Kamailio's log) if it
 * exits or does not answer within startTimeoutMs.
 */
export async function startKamailio(opts: KamailioOptions): Promise<KamailioInstance> {
  const host = opts.host ?? '127.0.0.1';
  const port = opts.port ?? (await freeUdpPort(host));
  const rpcPort = opts.rpcPort ?? (await freeTcpPort());
  const domain = (Array.isArray(opts.domain) ? opts.domain[0] : opts.domain) ?? 'regshield.test';
  const runDir = fs.mkdtempSync(path.join(os.tmpdir(), 'regshield-kamailio-'));
  const args = kamailioArgs({ ...opts, port, rpcPort }, runDir);
  const child = spawn('kamailio', args, { cwd: runDir, detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
  let log = '';
  const append = (b: Buffer) => {
    log += b.toString();
    if (log.length > 2_000_000) log = log.slice(-1_000_000);
  };
  child.stdout.on('data', append);
  child.stderr.on('data', append);
  let exited = false;
  child.on('exit', (code, signal) => {
    exited = true;
    log += `\n[kamailio exited: code=${code} signal=${signal}]\n`;
  });
  child.on('error', (err) => {
    exited = true;
    log += `\n[kamailio spawn error: ${err.message}]\n`;
  });

  let stopped = false;
  const stop = async () => {
    if (stopped) return;
    stopped = true;
    killGroup(child, 'SIGTERM');
    if (!(await waitExit(child, 5000))) {
      killGroup(child, 'SIGKILL');
      await waitExit(child, 2000);
    }
    // workers that outlived the main process (they share its process group)
    killGroup(child, 'SIGKILL');
    fs.rmSync(runDir, { recursive: true, force: true });
  };

  const deadline = Date.now() + (opts.startTimeoutMs ?? 10_000);
  while (Date.now() < deadline && !exited) {
    if ((await sipPing(host, port, domain, 300)) !== null) {
      return { host, port, rpcUrl: rpcUrl(rpcPort), pid: child.pid!, args, log: () => log, stop };
    }
  }
  await stop();
  throw new Error(`kamailio did not start (kamailio ${args.join(' ')}):\n${log.slice(-5000)}`);
}

type Queryable = { query: (sql: string, params?: unknown[]) => Promise<unknown> };

async function withClient<T>(db: Queryable | string, fn: (q: Queryable) => Promise<T>): Promise<T> {
  if (typeof db !== 'string') return fn(db);
  const client = new Client({ connectionString: db });
  await client.connect();
  try {
    return await fn(client);
  } finally {
    await client.end();
  }
}

/** Creates Kamailio's `subscriber` table if missing, and the (username, domain) account with a plaintext password. */
export async function createSubscriber(
  db: Queryable | string,
  username: string,
  password: string,
  domain: string,
): Promise<void> {
  await withClient(db, async (q) => {
    await q.query(fs.readFileSync(SUBSCRIBER_SQL, 'utf8'));
    await q.query(
      `INSERT INTO subscriber (username, domain, password) VALUES ($1, $2, $3)
       ON CONFLICT (username, domain) DO UPDATE SET password = EXCLUDED.password, ha1 = '', ha1b = ''`,
      [username, domain.toLowerCase(), password],
    );
  });
}

export interface SippResult {
  /** at least one SIP response came back */
  answered: boolean;
  /** the last response code received (e.g. 200, 403, 404), null when nothing came back */
  status: number | null;
  /** every response code received, in order (1xx included) */
  statuses: number[];
  /** sipp's exit code (0: every call ended as scripted, 1: some failed, e.g. no answer) */
  exitCode: number | null;
  /** sipp's message trace, for debugging */
  trace: string;
}

export interface SippOptions {
  /** source address sipp binds to (any 127.x.y.z works on Linux loopback); default 127.0.0.1 */
  from?: string;
  host?: string;
  port: number;
  /** R-URI / To domain */
  domain: string;
  /** From domain; default = domain */
  fromDomain?: string;
  userAgent?: string;
  /** how long sipp waits for each answer; default 2000 ms */
  recvTimeoutMs?: number;
}

const bracket = (h: string) => (h.includes(':') ? `[${h}]` : h);

async function runSipp(
  scenario: string,
  opts: SippOptions,
  extra: string[],
  calls = 1,
  rate = 10,
): Promise<SippResult> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'regshield-sipp-'));
  const traceFile = path.join(dir, 'messages.log');
  const recvTimeout = opts.recvTimeoutMs ?? 2000;
  const args = [
    `${bracket(opts.host ?? '127.0.0.1')}:${opts.port}`,
    '-sf',
    path.join(SCENARIOS, scenario),
    '-i',
    opts.from ?? '127.0.0.1',
    '-t',
    'u1',
    '-m',
    String(calls),
    '-r',
    String(rate),
    '-l',
    String(Math.max(1, calls)),
    '-key',
    'domain',
    opts.domain,
    '-key',
    'from_domain',
    opts.fromDomain ?? opts.domain,
    '-key',
    'ua',
    opts.userAgent ?? 'regshield-test',
    '-recv_timeout',
    String(recvTimeout),
    '-timeout',
    `${Math.ceil((recvTimeout * 2 + (calls / rate) * 1000) / 1000) + 5}s`,
    '-nostdin',
    '-trace_msg',
    '-message_file',
    traceFile,
    ...extra,
  ];
  const child = spawn('sipp', args, { cwd: dir, detached: true, stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr.on('data', (b: Buffer) => (stderr += b.toString()));
  const hardLimit = recvTimeout * 3 + (calls / rate) * 1000 + 10_000;
  const exitCode = await new Promise<number | null>((resolve) => {
    const t = setTimeout(() => {
      killGroup(child, 'SIGKILL');
      resolve(null);
    }, hardLimit);
    child.on('exit', (code) => {
      clearTimeout(t);
      resolve(code);
    });
    child.on('error', (err) => {
      clearTimeout(t);
      stderr += err.message;
      resolve(null);
    });
  });
  const trace = fs.existsSync(traceFile) ? fs.readFileSync(traceFile, 'latin1') : '';
  fs.rmSync(dir, { recursive: true, force: true });
  const statuses: number[] = [];
  // each received message is logged as "UDP message received [n] bytes :" followed by the message
  const re = /message received[^\n]*\n\s*SIP\/2\.0 (\d{3})/g;
  for (let m = re.exec(trace); m; m = re.exec(trace)) statuses.push(Number(m[1]));
  if (!trace && exitCode !== 0) throw new Error(`sipp failed (exit ${exitCode}): ${stderr.slice(-2000)}`);
  return {
    answered: statuses.length > 0,
    status: statuses.length ? statuses[statuses.length - 1] : null,
    statuses,
    exitCode,
    trace,
  };
}

export interface RegisterOptions extends SippOptions {
  username: string;
  password: string;
  /** digest user name; default = username */
  authUsername?: string;
}

/** One REGISTER (answering one 401 challenge with digest credentials). status 200 = registered. */
export function sipRegister(opts: RegisterOptions): Promise<SippResult> {
  return runSipp('register.xml', opts, [
    '-s',
    opts.username,
    '-au',
    opts.authUsername ?? opts.username,
    '-ap',
    opts.password,
  ]);
}

/**
 * One REGISTER per phone, each answering its 401 with an RFC 2617 digest (qop=auth), all from one socket on
 * `from` (the phones of one NAT), `rate` phones a second. Resolves with each phone's final status (null: none
 * within `timeoutMs`). SIPp takes digest credentials per run only (-au/-ap), so a thousand accounts are
 * registered here.
 */
export function registerPhones(opts: {
  host?: string;
  port: number;
  from: string;
  domain: string;
  phones: Array<{ username: string; password: string }>;
  rate: number;
  timeoutMs?: number;
}): Promise<Array<number | null>> {
  const host = opts.host ?? '127.0.0.1';
  const md5 = (text: string) => createHash('md5').update(text).digest('hex');
  const statuses: Array<number | null> = opts.phones.map(() => null);
  const sock = dgram.createSocket('udp4');
  return new Promise((resolve) => {
    let pending = opts.phones.length;
    const finish = () => {
      clearTimeout(timer);
      sock.close();
      resolve(statuses);
    };
    const timer = setTimeout(finish, opts.timeoutMs ?? 30_000);
    const request = (index: number, cseq: number, authorization?: string) => {
      const { username } = opts.phones[index];
      const local = sock.address();
      const message = [
        `REGISTER sip:${opts.domain} SIP/2.0`,
        `Via: SIP/2.0/UDP ${local.address}:${local.port};rport;branch=z9hG4bK${index}x${cseq}x${Date.now()}`,
        'Max-Forwards: 70',
        `From: <sip:${username}@${opts.domain}>;tag=phone${index}`,
        `To: <sip:${username}@${opts.domain}>`,
        `Call-ID: phone-${index}@regshield-test`,
        `CSeq: ${cseq} REGISTER`,
        `Contact: <sip:${username}@${local.address}:${local.port}>`,
        ...(authorization ? [`Authorization: ${authorization}`] : []),
        'Expires: 300',
        'User-Agent: regshield-test-phone',
        'Content-Length: 0',
        '',
        '',
      ].join('\r\n');
      sock.send(message, opts.port, host);
    };
    sock.on('message', (buffer) => {
      const text = buffer.toString('latin1');
      const status = Number(/^SIP\/2\.0 (\d{3})/.exec(text)?.[1]);
      const index = Number(/^Call-ID: phone-(\d+)@/im.exec(text)?.[1]);
      if (!Number.isInteger(index) || statuses[index] !== null) return;
      const challenge = /^WWW-Authenticate: Digest (.*)$/im.exec(text)?.[1];
      if (status === 401 && challenge && /^CSeq: 1 /im.test(text)) {
        const realm = /realm="([^"]*)"/.exec(challenge)![1];
        const nonce = /nonce="([^"]*)"/.exec(challenge)![1];
        const { username, password } = opts.phones[index];
        const uri = `sip:${opts.domain}`;
        const cnonce = md5(`${index}${Date.now()}`).slice(0, 16);
        const response = md5(
          `${md5(`${username}:${realm}:${password}`)}:${nonce}:00000001:${cnonce}:auth:${md5(`REGISTER:${uri}`)}`,
        );
        request(
          index,
          2,
          `Digest username="${username}", realm="${realm}", nonce="${nonce}", uri="${uri}", ` +
            `response="${response}", algorithm=MD5, cnonce="${cnonce}", qop=auth, nc=00000001`,
        );
        return;
      }
      if (status >= 200) {
        statuses[index] = status;
        if (--pending === 0) finish();
      }
    });
    sock.bind(0, opts.from, () => {
      opts.phones.forEach((_, index) => {
        setTimeout(() => request(index, 1), (index * 1000) / opts.rate);
      });
    });
  });
}

/** `count` REGISTERs with a wrong password (each: 401 challenge, then digest, then 403 from regshield's cfg). */
export function sendWrongPasswordRegisters(
  opts: Omit<RegisterOptions, 'password'> & { password?: string; count?: number; rate?: number },
): Promise<SippResult> {
  const count = opts.count ?? 3;
  return runSipp(
    'register.xml',
    opts,
    ['-s', opts.username, '-au', opts.authUsername ?? opts.username, '-ap', opts.password ?? `wrong-${Date.now()}`],
    count,
    opts.rate ?? 10,
  );
}

/** One OPTIONS (or, with method REGISTER, an unauthenticated REGISTER) to a domain the proxy does not serve: 404. */
export function sendUnknownDomainRequest(
  opts: Omit<SippOptions, 'domain'> & { domain?: string; username?: string; method?: 'OPTIONS' | 'REGISTER' },
): Promise<SippResult> {
  const domain = opts.domain ?? 'unknown-domain.invalid';
  const scenario = opts.method === 'REGISTER' ? 'register.xml' : 'options.xml';
  const user = opts.username ?? '100';
  return runSipp(scenario, { ...opts, domain }, ['-s', user, '-au', user, '-ap', 'x']);
}

/** `calls` OPTIONS at `rate` per second to a served domain (a flood, or a trunk's keep-alives). */
export function sendOptionsFlood(opts: SippOptions & { calls: number; rate: number }): Promise<SippResult> {
  return runSipp('options.xml', opts, ['-s', '100'], opts.calls, opts.rate);
}

/** One OPTIONS to a served domain (200 when the source is not banned; nothing when it is). */
export function sendOptions(opts: SippOptions & { username?: string }): Promise<SippResult> {
  return runSipp('options.xml', opts, ['-s', opts.username ?? '100']);
}

export interface ProbeOptions {
  kamailio: KamailioInstance;
  from: string;
  domain: string;
  /** wait for a probe that is answered (true) or dropped (false) */
  answered: boolean;
  /** give up after this long; default 5 s */
  timeoutMs?: number;
}

/**
 * Probes the proxy from `from` every ~10 ms (each probe waits 100 ms for its answer) until one is answered or
 * dropped as asked, and resolves with the moment that probe was sent (Date.now()), or null when it never
 * happened. Measuring from the send time gives the enforcement latency to within one probe interval.
 */
export async function probeUntil(opts: ProbeOptions): Promise<number | null> {
  const deadline = Date.now() + (opts.timeoutMs ?? 5000);
  while (Date.now() < deadline) {
    const sentAt = Date.now();
    const code = await sipPing(opts.kamailio.host, opts.kamailio.port, opts.domain, 100, opts.from);
    if ((code !== null) === opts.answered) return sentAt;
    if (code !== null) await new Promise((resolve) => setTimeout(resolve, 10));
  }
  return null;
}

/** Where a command is on PATH, or undefined. */
function which(command: string): string | undefined {
  for (const dir of (process.env.PATH ?? '').split(path.delimiter)) {
    const candidate = path.join(dir, command);
    if (fs.existsSync(candidate)) return candidate;
  }
  return undefined;
}

/** ['sipvicious'] when SIPVicious' tools are missing (decided at load time, like missingSipTools). */
export function missingScannerTools(): string[] {
  return ['svwar', 'svcrack', 'svmap'].every((tool) => which(tool) !== undefined) ? [] : ['sipvicious'];
}

const SIPVICIOUS_FROM = path.join(__dirname, 'tools', 'sipvicious-from.py');

export interface ScanResult {
  exitCode: number | null;
  output: string;
}

/**
 * Runs a real SIPVicious tool (svwar, svcrack, svmap) from the source address `from`, through
 * tools/sipvicious-from.py (Debian's 0.3.3 ignores -b in svwar and svcrack), with the interpreter the tool's
 * own script names, so that its modules are found as when it runs by itself.
 */
export async function runSipvicious(
  from: string,
  tool: 'svwar' | 'svcrack' | 'svmap',
  args: string[],
  timeoutMs = 60_000,
): Promise<ScanResult> {
  const script = fs.realpathSync(which(tool)!);
  const shebang = /^#!\s*(\S+)/.exec(fs.readFileSync(script, 'utf8').split('\n', 1)[0]);
  const python = shebang?.[1] ?? '/usr/bin/python3';
  const child = spawn(python, [SIPVICIOUS_FROM, from, tool, ...args], {
    detached: true,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout.on('data', (b: Buffer) => (output += b.toString()));
  child.stderr.on('data', (b: Buffer) => (output += b.toString()));
  const exitCode = await new Promise<number | null>((resolve) => {
    const timer = setTimeout(() => {
      killGroup(child, 'SIGKILL');
      resolve(null);
    }, timeoutMs);
    child.on('exit', (code) => {
      clearTimeout(timer);
      resolve(code);
    });
  });
  return { exitCode, output };
}

/**
 * A REGISTER without credentials for `username` from `from`, whose 401 challenge is never answered (what a
 * scanner collecting challenges does). Resolves with the answer's status code, or null.
 */
export function sendUnansweredRegister(
  kamailio: KamailioInstance,
  from: string,
  username: string,
  domain: string,
): Promise<number | null> {
  return new Promise((resolve) => {
    const sock = dgram.createSocket('udp4');
    const timer = setTimeout(() => finish(null), 500);
    const finish = (code: number | null) => {
      clearTimeout(timer);
      sock.close();
      resolve(code);
    };
    sock.on('message', (msg) => {
      const m = /^SIP\/2\.0 (\d{3})/.exec(msg.toString('latin1'));
      if (m) finish(Number(m[1]));
    });
    sock.bind(0, from, () => {
      const { port } = sock.address();
      const tag = Math.random().toString(36).slice(2);
      const msg = [
        `REGISTER sip:${domain} SIP/2.0`,
        `Via: SIP/2.0/UDP ${from}:${port};rport;branch=z9hG4bK${tag}`,
        'Max-Forwards: 70',
        `From: <sip:${username}@${domain}>;tag=${tag}`,
        `To: <sip:${username}@${domain}>`,
        `Call-ID: ${tag}@regshield-test`,
        'CSeq: 1 REGISTER',
        `Contact: <sip:${username}@${from}:${port}>`,
        'Expires: 300',
        'User-Agent: regshield-test-unanswered',
        'Content-Length: 0',
        '',
        '',
      ].join('\r\n');
      sock.send(msg, kamailio.port, kamailio.host);
    });
  });
}

/**
 * The pid of the Kamailio process whose description (JSON-RPC `core.psx`, e.g. "RTIMER EXEC child=0
 * timer=events") matches, so a test can pause that one process.
 */
export async function kamailioProcessPid(kamailio: KamailioInstance, description: RegExp): Promise<number> {
  const response = await fetch(kamailio.rpcUrl, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify({ jsonrpc: '2.0', method: 'core.psx', id: 1 }),
  });
  const { result } = (await response.json()) as { result: Array<{ PID: number; DSC: string }> };
  const found = result.find((process) => description.test(process.DSC));
  if (!found) throw new Error(`no Kamailio process matches ${description}: ${JSON.stringify(result)}`);
  return found.PID;
}

/** What a challenged REGISTER's second request carries, built from the 401's realm and nonce. */
export interface DigestChallenge {
  realm: string;
  nonce: string;
}

export interface RawRegisterOptions {
  kamailio: KamailioInstance;
  /** source address; default 127.0.0.1 */
  from?: string;
  /** the To / From user (the account registering) */
  username: string;
  domain: string;
  /**
   * The Authorization (or other) header lines of the second REGISTER, given the first one's 401 challenge,
   * e.g. [`Authorization: ${digestAuthorization(...)}`]. Any number, in order; nothing else is added.
   */
  credentials: (challenge: DigestChallenge) => string[];
  timeoutMs?: number;
}

const md5Hex = (text: string) => createHash('md5').update(text).digest('hex');

/**
 * The value of an Authorization header answering `challenge` with qop=auth, as a phone computes it (HA1 =
 * MD5(username:realm:password)); `realm` (default the challenge's) is what the header claims, `response`
 * replaces the computed response when given ('' for an empty one).
 */
export function digestAuthorization(opts: {
  challenge: DigestChallenge;
  username: string;
  password: string;
  domain: string;
  realm?: string;
  response?: string;
}): string {
  const realm = opts.realm ?? opts.challenge.realm;
  const uri = `sip:${opts.domain}`;
  const cnonce = md5Hex(`${Math.random()}`).slice(0, 16);
  const response =
    opts.response ??
    md5Hex(
      `${md5Hex(`${opts.username}:${realm}:${opts.password}`)}:${opts.challenge.nonce}:00000001:${cnonce}:auth:` +
        md5Hex(`REGISTER:${uri}`),
    );
  return (
    `Digest username="${opts.username}", realm="${realm}", nonce="${opts.challenge.nonce}", uri="${uri}", ` +
    `response="${response}", algorithm=MD5, cnonce="${cnonce}", qop=auth, nc=00000001`
  );
}

export interface RawRegisterResult {
  challenge: number | null;
  final: number | null;
  /** the second answer as received (status line and headers), null without one */
  finalReply: string | null;
}

/**
 * A REGISTER without credentials, then, with the 401's realm and nonce, a second REGISTER of the same dialog
 * carrying exactly the header lines `credentials` returns (raw UDP datagrams, so that a request no phone
 * sends, e.g. with two Authorization headers, can be sent). Resolves with both answers' status codes (null:
 * no answer within timeoutMs), and the second answer's text.
 */
export function sendRawRegister(opts: RawRegisterOptions): Promise<RawRegisterResult> {
  const from = opts.from ?? '127.0.0.1';
  const sock = dgram.createSocket(from.includes(':') ? 'udp6' : 'udp4');
  const tag = Math.random().toString(36).slice(2);
  const timeoutMs = opts.timeoutMs ?? 2000;
  const request = (cseq: number, extra: string[]) => {
    const local = sock.address();
    const lh = bracket(local.address);
    return [
      `REGISTER sip:${opts.domain} SIP/2.0`,
      `Via: SIP/2.0/UDP ${lh}:${local.port};rport;branch=z9hG4bK${tag}x${cseq}`,
      'Max-Forwards: 70',
      `From: <sip:${opts.username}@${opts.domain}>;tag=${tag}`,
      `To: <sip:${opts.username}@${opts.domain}>`,
      `Call-ID: ${tag}@regshield-test`,
      `CSeq: ${cseq} REGISTER`,
      `Contact: <sip:${opts.username}@${lh}:${local.port}>`,
      ...extra,
      'Expires: 300',
      'User-Agent: regshield-test-raw',
      'Content-Length: 0',
      '',
      '',
    ].join('\r\n');
  };
  return new Promise((resolve) => {
    const result: RawRegisterResult = { challenge: null, final: null, finalReply: null };
    let timer: NodeJS.Timeout;
    const finish = () => {
      clearTimeout(timer);
      sock.close();
      resolve(result);
    };
    const arm = () => {
      clearTimeout(timer);
      timer = setTimeout(finish, timeoutMs);
    };
    sock.on('message', (buffer) => {
      const text = buffer.toString('latin1');
      const status = Number(/^SIP\/2\.0 (\d{3})/.exec(text)?.[1]);
      if (!status || status < 200) return;
      if (/^CSeq: 1 /im.test(text)) {
        if (result.challenge !== null) return;
        result.challenge = status;
        const header = /^WWW-Authenticate: Digest (.*)$/im.exec(text)?.[1];
        if (status !== 401 || !header) return finish();
        const challenge = { realm: /realm="([^"]*)"/.exec(header)![1], nonce: /nonce="([^"]*)"/.exec(header)![1] };
        arm();
        sock.send(request(2, opts.credentials(challenge)), opts.kamailio.port, opts.kamailio.host);
      } else if (/^CSeq: 2 /im.test(text) && result.final === null) {
        result.final = status;
        result.finalReply = text;
        finish();
      }
    });
    sock.bind(0, from, () => {
      arm();
      sock.send(request(1, []), opts.kamailio.port, opts.kamailio.host);
    });
  });
}

/**
 * sendRawRegister for a spec: each REGISTER from an address of its own, `${subnet}.1`, `.2`, … (pike counts per
 * source), to the Kamailio `kamailio()` returns at the time (a spec may restart it); resolves with the final
 * status after checking the first answer was a 401 challenge.
 */
export function challengedRegisters(
  kamailio: () => KamailioInstance,
  domain: string,
  subnet: string,
): (username: string, credentials: (challenge: DigestChallenge) => string[]) => Promise<number | null> {
  const register = challengedRegisterReplies(kamailio, domain, subnet);
  return async (username, credentials) => (await register(username, credentials)).final;
}

/** challengedRegisters resolving with the whole result: the final status and the final answer's text. */
export function challengedRegisterReplies(
  kamailio: () => KamailioInstance,
  domain: string,
  subnet: string,
): (username: string, credentials: (challenge: DigestChallenge) => string[]) => Promise<RawRegisterResult> {
  let source = 0;
  return async (username, credentials) => {
    source += 1;
    const result = await sendRawRegister({
      kamailio: kamailio(),
      from: `${subnet}.${source}`,
      username,
      domain,
      credentials,
    });
    expect(result.challenge).toBe(401);
    return result;
  };
}

export async function failedRegistrationRows(db: Client, username: string): Promise<number> {
  const { rows } = await db.query<{ n: number }>(
    'SELECT count(*)::int AS n FROM failed_registrations WHERE username = $1',
    [username],
  );
  return rows[0].n;
}

/** Waits for the proxy's queued rows (written every 100 ms) to reach `expected`, then checks no more come. */
export async function expectFailedRegistrationRows(db: Client, username: string, expected: number): Promise<void> {
  await waitFor(async () => ((await failedRegistrationRows(db, username)) >= expected ? true : undefined), 5000).catch(
    () => undefined,
  );
  await sleep(300);
  expect(await failedRegistrationRows(db, username)).toBe(expected);
}
