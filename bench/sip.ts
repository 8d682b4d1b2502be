import { ChildProcess, spawn } from 'node:child_process';
import * as dgram from 'node:dgram';
import { closeSync, mkdtempSync, openSync, readFileSync, rmSync } from 'node:fs';
import * as net from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { isMainThread, parentPort, Worker, workerData } from 'node:worker_threads';
import { Client } from 'pg';
import { EmbeddedDatabase } from '../src/database/embedded-database';
import { withClient } from './pg-client';
import { machineNote, percentile, writeReportSection } from './report';
import { Registration, SipAccount, SipEndpoint, SipTarget } from './sip-client';

/**
 * `npm run bench:sip`: a distributed password-guessing attack through the shipped deploy/kamailio/kamailio.cfg,
 * with the built service pushing its bans, while a real subscriber keeps registering. Each of Kamailio's ways
 * of writing events is measured in turn (the config's defines), and the figures go into their own section of
 * docs/BENCHMARKS.md. Not a test: the numbers depend on the machine and on what else runs on it.
 */
const ROOT = resolve(__dirname, '../..');
const KAMAILIO_CFG = join(ROOT, 'deploy/kamailio/kamailio.cfg');
const SERVICE_PORT = 3901;
const DOMAIN = 'regshield.test';
const SUBSCRIBER: SipAccount = { username: '1000', password: 'bench-S3cret-pass', domain: DOMAIN };
const ATTACKERS = 200;
const GUESSES_PER_SECOND = 5;
/** The service's SIP_BAN_MAX_RETRY (its default): the guess that must get its source banned. */
const MAX_RETRY = 5;
const ATTACK_MS = 8000;
const BASELINE_MS = 1500;
/** The subscriber's phones: each registers this often, below pike's default flood threshold (15 requests/s). */
const PHONES = 4;
const PHONE_INTERVAL_MS = 200;
const ANSWER_TIMEOUT_MS = 1000;
const CUT_OFF_LIMIT_MS = 1000;
const ROUND_TRIP_LIMIT_MS = 100;

type WriteMode = 'sync' | 'async' | 'queued';

interface Mode {
  mode: WriteMode;
  label: string;
  defines: string[];
}

const MODES: Mode[] = [
  { mode: 'sync', label: 'synchronous INSERT in the SIP worker (`WITH_SYNC_WRITES`)', defines: ['WITH_SYNC_WRITES'] },
  { mode: 'async', label: '`sql_query_async` on async workers (`WITH_ASYNC_WRITES`)', defines: ['WITH_ASYNC_WRITES'] },
  { mode: 'queued', label: 'queued, written in batches by one timer process (default)', defines: [] },
];

interface Attacker {
  address: string;
  registrations: Registration[];
}

interface ModeResult {
  mode: Mode;
  phoneBaseline: number[];
  phoneUnderAttack: number[];
  phoneFailures: number;
  guesses: number;
  rejected: number;
  rows: number;
  lostEvents: number;
  floodRows: number;
  banned: number;
  /** per banned source: ban row created_at − the fifth 403 */
  banLatencies: number[];
  /** per source: send time of the last request still answered − the fifth 403 */
  cutOffs: number[];
  rejectedAfterFifth: number;
  writeSeconds: number;
}

const sleep = (ms: number) => new Promise((done) => setTimeout(done, ms));

function freeTcpPort(): Promise<number> {
  return new Promise((done, fail) => {
    const server = net.createServer();
    server.once('error', fail);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => done(port));
    });
  });
}

function freeUdpPort(): Promise<number> {
  return new Promise((done, fail) => {
    const socket = dgram.createSocket('udp4');
    socket.once('error', fail);
    socket.bind(0, '127.0.0.1', () => {
      const { port } = socket.address();
      socket.close(() => done(port));
    });
  });
}

/** A fresh database on DATABASE_URL's server (dropped at the end), or none: the service's embedded one. */
async function createDatabase(): Promise<{ url?: string; drop(): Promise<void> }> {
  const serverUrl = process.env.DATABASE_URL;
  if (!serverUrl) return { drop: async () => undefined };
  const name = `regshield_sipbench_${process.pid}`;
  const admin = new Client({ connectionString: serverUrl });
  await admin.connect();
  await admin.query(`CREATE DATABASE ${name}`);
  await admin.end();
  const url = new URL(serverUrl);
  url.pathname = `/${name}`;
  return {
    url: url.toString(),
    drop: async () => {
      const client = new Client({ connectionString: serverUrl });
      await client.connect();
      await client.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      await client.end();
    },
  };
}

async function startService(databaseUrl: string | undefined, rpcPort: number) {
  const dataDir = mkdtempSync(join(tmpdir(), 'regshield-sipbench-'));
  const child = spawn(process.execPath, [join(ROOT, 'dist/src/main.js')], {
    env: {
      ...process.env,
      ...(databaseUrl ? { DATABASE_URL: databaseUrl } : {}),
      NODE_ENV: 'development',
      PORT: String(SERVICE_PORT),
      DATA_DIR: dataDir,
      LOG_LEVEL: 'warn',
      // the attackers are 127.0.x.y: only the proxy's own address stays allowlisted
      SIP_ALLOWLIST: '127.0.0.1/32,::1/128',
      SIP_PROXY_RPC_URLS: `http://127.0.0.1:${rpcPort}/RPC`,
    },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let output = '';
  child.stderr.on('data', (chunk: Buffer) => (output = (output + chunk.toString()).slice(-20_000)));
  for (let attempt = 0; ; attempt++) {
    if (child.exitCode !== null || attempt > 600) throw new Error(`the service did not start: ${output}`);
    if (
      await fetch(`http://127.0.0.1:${SERVICE_PORT}/health`).then(
        (r) => r.ok,
        () => false,
      )
    )
      break;
    await sleep(100);
  }
  const url =
    databaseUrl ??
    (await new EmbeddedDatabase(dataDir, { debug: () => undefined, error: () => undefined }).runningUrl());
  if (!url) throw new Error('the embedded database is not running');
  return {
    databaseUrl: url,
    stop: async () => {
      child.kill('SIGTERM');
      await new Promise((done) => child.once('exit', done));
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

/** postgres://user:pass@host:port/db, as Kamailio's db_postgres takes it (no query string). */
function kamailioDbUrl(databaseUrl: string): string {
  const url = new URL(databaseUrl);
  const auth = url.username
    ? `${decodeURIComponent(url.username)}${url.password ? `:${decodeURIComponent(url.password)}` : ''}@`
    : '';
  return `postgres://${auth}${url.hostname || '127.0.0.1'}${url.port ? `:${url.port}` : ''}${url.pathname}`;
}

/** Kamailio with the shipped config and its defaults, but for the sockets, the database and the mode. */
async function startKamailio(databaseUrl: string, sipPort: number, rpcPort: number, mode: Mode) {
  const runDir = mkdtempSync(join(tmpdir(), 'regshield-sipbench-kamailio-'));
  const dbUrl = kamailioDbUrl(databaseUrl);
  const args = [
    ...['-f', KAMAILIO_CFG, '-DD', '-E', '-Y', runDir, '-P', join(runDir, 'kamailio.pid'), '-m', '64', '-M', '8'],
    ...['-A', `LISTEN=udp:127.0.0.1:${sipPort}`, '-A', `DBURL="${dbUrl}"`, '-A', `SQLCON="rs=>${dbUrl}"`],
    ...['-A', `SIP_DOMAINS="${DOMAIN}"`, '-A', `RPC_PORT=${rpcPort}`],
    ...mode.defines.flatMap((define) => ['-A', define]),
  ];
  // Kamailio logs a line per failed registration. Into a pipe, a reader that falls behind (this process,
  // busy with the attack) would block Kamailio's workers on write(2); a file never does.
  const logFile = join(runDir, 'kamailio.log');
  const logFd = openSync(logFile, 'a');
  const child: ChildProcess = spawn('kamailio', args, {
    cwd: runDir,
    detached: true,
    stdio: ['ignore', 'ignore', logFd],
  });
  closeSync(logFd);
  const log = () => readFileSync(logFile, 'utf8').slice(-20_000);
  const stop = async () => {
    if (child.pid !== undefined && child.exitCode === null) {
      process.kill(-child.pid, 'SIGTERM');
      await new Promise((done) => child.once('exit', done));
    }
    rmSync(runDir, { recursive: true, force: true });
  };
  const probe = new SipEndpoint('127.0.0.1', { host: '127.0.0.1', port: sipPort }, 'regshield-bench-probe');
  await probe.bind();
  try {
    for (let attempt = 0; attempt < 50 && child.exitCode === null; attempt++) {
      if ((await probe.ping(DOMAIN, 200)).response) return { stop };
    }
  } finally {
    probe.close();
  }
  const tail = log();
  await stop();
  throw new Error(`kamailio did not start (kamailio ${args.join(' ')}):\n${tail}`);
}

interface PhonesPlan {
  target: SipTarget;
  attackStartsAt: number;
  stopAt: number;
}

interface PhoneTimes {
  baseline: number[];
  underAttack: number[];
  failures: number;
}

/**
 * The phones run in a worker thread of their own, so that the attackers' traffic on the main thread's event
 * loop does not delay the subscriber's measurements.
 */
function runPhonesInWorker(plan: PhonesPlan): Promise<PhoneTimes> {
  return new Promise((done, fail) => {
    const worker = new Worker(__filename, { workerData: plan });
    worker.once('message', (times: PhoneTimes) => done(times));
    worker.once('error', fail);
  });
}

/** Registers every PHONE_INTERVAL_MS from each phone until `stopAt`; resolves with each registration's round trip. */
async function runPhones({ target, attackStartsAt, stopAt }: PhonesPlan): Promise<PhoneTimes> {
  const baseline: number[] = [];
  const underAttack: number[] = [];
  let failures = 0;
  await Promise.all(
    Array.from({ length: PHONES }, async (_, index) => {
      const phone = new SipEndpoint(`127.0.0.${2 + index}`, target, 'regshield-bench-phone');
      await phone.bind();
      await sleep((index * PHONE_INTERVAL_MS) / PHONES);
      while (Date.now() < stopAt) {
        const next = Date.now() + PHONE_INTERVAL_MS;
        const { challenge, credentials } = await phone.register(SUBSCRIBER, ANSWER_TIMEOUT_MS);
        const done = credentials?.response;
        if (done?.status === 200) {
          (challenge.sentAt < attackStartsAt ? baseline : underAttack).push(done.receivedAt - challenge.sentAt);
        } else {
          failures++;
        }
        await sleep(Math.max(0, next - Date.now()));
      }
      phone.close();
    }),
  );
  return { baseline, underAttack, failures };
}

/** Each attacker guesses the subscriber's password GUESSES_PER_SECOND times a second for ATTACK_MS. */
async function runAttackers(target: SipTarget, block: number): Promise<Attacker[]> {
  const attackers = await Promise.all(
    Array.from({ length: ATTACKERS }, async (_, index) => {
      const address = `127.0.${block}.${index + 1}`;
      const endpoint = new SipEndpoint(address, target, 'regshield-bench-attacker');
      await endpoint.bind();
      return { address, endpoint, registrations: [] as Registration[] };
    }),
  );
  const startedAt = Date.now();
  const interval = 1000 / GUESSES_PER_SECOND;
  await Promise.all(
    attackers.map(async (attacker) => {
      const pending: Array<Promise<void>> = [];
      // sources start out of step, as unrelated hosts would
      await sleep(Math.random() * interval);
      for (let guess = 0; Date.now() - startedAt < ATTACK_MS; guess++) {
        const next = Date.now() + interval;
        const account = { ...SUBSCRIBER, password: `guess-${guess}` };
        pending.push(
          attacker.endpoint.register(account, ANSWER_TIMEOUT_MS).then((r) => void attacker.registrations.push(r)),
        );
        await sleep(Math.max(0, next - Date.now()));
      }
      await Promise.all(pending);
      attacker.endpoint.close();
    }),
  );
  return attackers.map(({ address, registrations }) => ({ address, registrations }));
}

async function measureMode(databaseUrl: string, rpcPort: number, mode: Mode, block: number): Promise<ModeResult> {
  const sipPort = await freeUdpPort();
  const kamailio = await startKamailio(databaseUrl, sipPort, rpcPort, mode);
  try {
    // let the service notice the restarted proxy and sync it (its heartbeat runs every second)
    await sleep(2000);
    const target = { host: '127.0.0.1', port: sipPort };
    const attackStartsAt = Date.now() + BASELINE_MS;
    const phones = runPhonesInWorker({ target, attackStartsAt, stopAt: attackStartsAt + ATTACK_MS });
    await sleep(BASELINE_MS);
    const attackers = await runAttackers(target, block);
    const phoneTimes = await phones;
    const attackEndedAt = Date.now();
    return { mode, ...(await collect(databaseUrl, attackers, block, attackEndedAt)), ...phoneSummary(phoneTimes) };
  } finally {
    await kamailio.stop();
  }
}

function phoneSummary(phones: PhoneTimes) {
  return {
    phoneBaseline: [...phones.baseline].sort((a, b) => a - b),
    phoneUnderAttack: [...phones.underAttack].sort((a, b) => a - b),
    phoneFailures: phones.failures,
  };
}

/** Waits for the last rows to land, then compares the database with what the attackers were answered. */
async function collect(databaseUrl: string, attackers: Attacker[], block: number, attackEndedAt: number) {
  const rejectedBySource = new Map<string, number[]>();
  let guesses = 0;
  for (const attacker of attackers) {
    guesses += attacker.registrations.length;
    const rejected = attacker.registrations
      .map((r) => r.credentials?.response)
      .filter((response) => response?.status === 403)
      .map((response) => response!.receivedAt)
      .sort((a, b) => a - b);
    rejectedBySource.set(attacker.address, rejected);
  }
  const rejected = [...rejectedBySource.values()].reduce((sum, times) => sum + times.length, 0);
  const cidr = `127.0.${block}.0/24`;
  return withClient(databaseUrl, async (db) => {
    let rows = 0;
    let lastChange = Date.now();
    // the rows may trail the answers (queued or async writes): wait until every one is there, or for 30 s
    while (rows < rejected && Date.now() - lastChange < 30_000) {
      const { rows: counted } = await db.query<{ n: number }>(
        'SELECT count(*)::int AS n FROM failed_registrations WHERE source_ip <<= $1::cidr',
        [cidr],
      );
      if (counted[0].n !== rows) lastChange = Date.now();
      rows = counted[0].n;
      if (rows < rejected) await sleep(100);
    }
    const writeSeconds = (Date.now() - attackEndedAt) / 1000;
    const { rows: perSource } = await db.query<{ ip: string; n: number }>(
      'SELECT host(source_ip) AS ip, count(*)::int AS n FROM failed_registrations WHERE source_ip <<= $1::cidr GROUP BY 1',
      [cidr],
    );
    const stored = new Map(perSource.map((row) => [row.ip, row.n]));
    const { rows: bans } = await db.query<{ ip: string; at: number }>(
      `SELECT host(cidr) AS ip, (extract(epoch FROM created_at) * 1000)::float8 AS at
       FROM sip_bans WHERE cidr <<= $1::cidr AND source = 'auto'`,
      [cidr],
    );
    const { rows: floods } = await db.query<{ n: number }>(
      "SELECT count(*)::int AS n FROM door_knock_attempts WHERE source_ip <<= $1::cidr AND reason = 'flood'",
      [cidr],
    );
    const bannedAt = new Map(bans.map((ban) => [ban.ip, ban.at]));
    let lostEvents = 0;
    let rejectedAfterFifth = 0;
    const banLatencies: number[] = [];
    const cutOffs: number[] = [];
    for (const attacker of attackers) {
      const times = rejectedBySource.get(attacker.address)!;
      lostEvents += Math.max(0, times.length - (stored.get(attacker.address) ?? 0));
      const fifth = times[MAX_RETRY - 1];
      if (fifth === undefined) continue;
      rejectedAfterFifth += times.length - MAX_RETRY;
      const ban = bannedAt.get(attacker.address);
      if (ban !== undefined) banLatencies.push(ban - fifth);
      const answered = attacker.registrations.flatMap((r) => [r.challenge, r.credentials]).filter((e) => e?.response);
      cutOffs.push(Math.max(...answered.map((exchange) => exchange!.sentAt)) - fifth);
    }
    return {
      guesses,
      rejected,
      rows,
      lostEvents,
      floodRows: floods[0].n,
      banned: bannedAt.size,
      banLatencies: banLatencies.sort((a, b) => a - b),
      cutOffs: cutOffs.sort((a, b) => a - b),
      rejectedAfterFifth,
      writeSeconds,
    };
  });
}

const ms = (value: number | undefined) => (value === undefined ? 'n/a' : `${Math.round(value)} ms`);

function spread(sorted: number[]): string {
  if (sorted.length === 0) return 'none';
  return `p50 ${ms(percentile(sorted, 50))}, p99 ${ms(percentile(sorted, 99))}, max ${ms(sorted[sorted.length - 1])}`;
}

function verdict(result: ModeResult): { pass: boolean; why: string[] } {
  const why: string[] = [];
  const p99 = percentile(result.phoneUnderAttack, 99) ?? Infinity;
  if (result.phoneFailures > 0) why.push(`${result.phoneFailures} registrations unanswered`);
  if (!(p99 < ROUND_TRIP_LIMIT_MS)) why.push(`subscriber p99 ${ms(p99)}`);
  if (result.banned < ATTACKERS) why.push(`${result.banned}/${ATTACKERS} banned`);
  const late = result.cutOffs.filter((value) => value > CUT_OFF_LIMIT_MS).length;
  if (late > 0 || result.cutOffs.length < ATTACKERS) why.push(`${late} sources answered > 1 s after their fifth guess`);
  if (result.lostEvents > 0) why.push(`${result.lostEvents} events lost`);
  return { pass: why.length === 0, why };
}

function report(results: ModeResult[], databaseNote: string): string {
  const row = (what: string, cell: (result: ModeResult) => string) =>
    `| ${what} | ${results.map((result) => cell(result)).join(' | ')} |`;
  const lines = [
    '## SIP: a distributed password-guessing attack through Kamailio (`npm run bench:sip`)',
    '',
    `Written by \`npm run bench:sip\` (\`bench/sip.ts\`). ${ATTACKERS} sources on loopback (127.0.x.y), each guessing the`,
    `subscriber's password ${GUESSES_PER_SECOND} times a second for ${ATTACK_MS / 1000} s (REGISTER, 401, REGISTER with a wrong digest, 403),`,
    'against the shipped `deploy/kamailio/kamailio.cfg` (its defaults: 4 UDP workers) with the built service pushing',
    `its bans over JSON-RPC (SIP_BAN_MAX_RETRY ${MAX_RETRY}, the default), on ${databaseNote}. Meanwhile the real subscriber`,
    `registers from ${PHONES} phones (127.0.0.2–${1 + PHONES}), each every ${PHONE_INTERVAL_MS} ms: the round trip is from its first REGISTER`,
    `to the 200. A request unanswered within ${ANSWER_TIMEOUT_MS} ms counts as unanswered (the client does not retransmit).`,
    'Each column is one Kamailio write mode (its defines), with its own block of 200 sources',
    '(`SIP_BENCH_MODES=queued npm run bench:sip` runs only the listed ones: `sync`, `async`, `queued`).',
    '',
    `- Date: ${new Date().toISOString()}`,
    `- Machine: ${machineNote()}; 2 cores shared by client, proxy, service and PostgreSQL`,
    `- Command: \`npm run bench:sip\`${process.env.DATABASE_URL ? ' with DATABASE_URL set' : ''}`,
    '',
    `| | ${results.map((result) => result.mode.label).join(' | ')} |`,
    `|---|${results.map(() => '---').join('|')}|`,
    row('subscriber round trip, before the attack', (r) => spread(r.phoneBaseline)),
    row(
      'subscriber round trip, under attack',
      (r) => `**${spread(r.phoneUnderAttack)}** (${r.phoneUnderAttack.length} registrations)`,
    ),
    row('subscriber registrations unanswered', (r) => String(r.phoneFailures)),
    row('guesses sent / answered 403', (r) => `${r.guesses} / ${r.rejected}`),
    row('failed_registrations rows / events lost', (r) => `${r.rows} / **${r.lostEvents}**`),
    row('rows in the database after the attack ended', (r) => `${r.writeSeconds.toFixed(1)} s`),
    row('sources banned', (r) => `${r.banned} / ${ATTACKERS}`),
    row("ban row's created_at (the engine's transaction start) after the fifth 403", (r) => spread(r.banLatencies)),
    row('last request answered, after the fifth 403', (r) => `**${spread(r.cutOffs)}**`),
    row('403s after the fifth, all sources', (r) => String(r.rejectedAfterFifth)),
    row('`flood` door knocks (pike)', (r) => String(r.floodRows)),
    row(
      `goal: every source cut off ≤ 1 s after its fifth guess, no event lost, subscriber p99 < ${ROUND_TRIP_LIMIT_MS} ms`,
      (r) => {
        const { pass, why } = verdict(r);
        return pass ? 'pass' : `**FAIL** (${why.join('; ')})`;
      },
    ),
    '',
    '"Last request answered" is the send time of the last request of that source that got any answer, minus the',
    'time its fifth 403 arrived: a source keeps guessing after its ban, and everything it sends later is dropped.',
    'Every column runs the same service (bans of one look in two queries, a burst pushed as one `htable.reload`):',
    'the columns differ only in how Kamailio writes rows. On a machine shared with other work the subscriber’s p99',
    'varies from run to run; docs/SIP.md gives the range seen over several runs.',
  ];
  return lines.join('\n');
}

async function main(): Promise<void> {
  const database = await createDatabase();
  const rpcPort = await freeTcpPort();
  const service = await startService(database.url, rpcPort);
  const results: ModeResult[] = [];
  try {
    await withClient(service.databaseUrl, async (db) => {
      await db.query(readFileSync(join(ROOT, 'deploy/kamailio/subscriber.sql'), 'utf8'));
      await db.query('INSERT INTO subscriber (username, domain, password) VALUES ($1, $2, $3)', [
        SUBSCRIBER.username,
        SUBSCRIBER.domain,
        SUBSCRIBER.password,
      ]);
    });
    const only = process.env.SIP_BENCH_MODES?.split(',');
    for (const [index, mode] of MODES.entries()) {
      if (only && !only.includes(mode.mode)) continue;
      process.stdout.write(`${mode.label}…\n`);
      results.push(await measureMode(service.databaseUrl, rpcPort, mode, 10 + index));
    }
  } finally {
    await service.stop();
    await database.drop();
  }
  const databaseNote = process.env.DATABASE_URL ? 'the PostgreSQL at DATABASE_URL' : 'embedded PostgreSQL 18';
  const section = report(results, databaseNote);
  writeReportSection(join(ROOT, 'docs/BENCHMARKS.md'), 'bench:sip', section);
  process.stdout.write(`${section}\n`);
}

if (isMainThread) {
  main().catch((error: unknown) => {
    process.stderr.write(`${error instanceof Error ? error.stack : String(error)}\n`);
    process.exit(1);
  });
} else {
  void runPhones(workerData as PhonesPlan).then((times) => parentPort!.postMessage(times));
}
