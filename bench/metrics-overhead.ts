import autocannon from 'autocannon';
import { ChildProcess } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { EmbeddedDatabase } from '../src/database/embedded-database';
import { recordingNanoseconds } from './metrics-recording';
import { median, processCpuSeconds, startNodeProcess, stopProcess } from './processes';

/**
 * What the metrics cost, measured two ways in one run:
 * - end to end: `GET /api/auth/me` requests/s of two instances of the built service on one database, one
 *   with METRICS_ENABLED=true (the default) and one with false, loaded in turn over loopback. Each round
 *   loads both back to back (alternating which goes first) and yields one on/off ratio; the median ratio
 *   is the figure, as it shrugs off the bursts of other work on a shared machine;
 * - in CPU time, which other work on a shared machine blurs far less than requests/s: the server process's
 *   CPU time per answered request (from /proc, Linux only) with metrics on and off, and the CPU time one
 *   request's recording takes (MetricsService.recordHttpRequest, measured in this process).
 *
 *   npm run build && node dist/bench/metrics-overhead.js   (DATABASE_URL optional, as for `npm run bench`;
 *   ROUNDS and SECONDS change the number and length of the rounds)
 */
const ROOT = resolve(__dirname, '../..');
const ADMIN = { email: 'bench-admin@example.com', password: 'BenchPass123' };
const JWT_SECRET = 'metrics-overhead-bench-secret-0123456789';
const ROUNDS = Number(process.env.ROUNDS ?? 12);
const SECONDS_PER_ROUND = Number(process.env.SECONDS ?? 3);
const CONNECTIONS = 10;
const quiet = { debug: () => undefined, error: () => undefined };

interface Instance {
  name: string;
  base: string;
  process: ChildProcess;
  token?: string;
  okRequests: number;
  seconds: number;
  cpuSeconds: number;
}

function cpuSeconds(instance: Instance): number {
  return processCpuSeconds(instance.process.pid) ?? 0;
}

async function startInstance(name: string, port: number, env: Record<string, string>): Promise<Instance> {
  const base = `http://127.0.0.1:${port}`;
  const child = await startNodeProcess(
    name,
    join(ROOT, 'dist/src/main.js'),
    {
      ...process.env,
      NODE_ENV: 'development',
      PORT: String(port),
      JWT_SECRET,
      ADMIN_EMAIL: ADMIN.email,
      ADMIN_PASSWORD: ADMIN.password,
      LOGIN_RATE_LIMIT: '1000000',
      LOG_LEVEL: 'warn',
      ...env,
    },
    `${base}/health`,
  );
  return { name, base, process: child, okRequests: 0, seconds: 0, cpuSeconds: 0 };
}

async function login(instance: Instance): Promise<string> {
  const response = await fetch(`${instance.base}/api/auth/login`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify(ADMIN),
  });
  if (response.status !== 200) throw new Error(`login on ${instance.name} failed: ${response.status}`);
  return ((await response.json()) as { access_token: string }).access_token;
}

async function load(instance: Instance, seconds: number): Promise<autocannon.Result> {
  const result = await autocannon({
    url: `${instance.base}/api/auth/me`,
    connections: CONNECTIONS,
    duration: seconds,
    headers: { authorization: `Bearer ${instance.token}` },
  });
  const failed = result.non2xx + result.errors + result.timeouts;
  if (failed > 0) throw new Error(`${instance.name}: ${failed} failed requests`);
  return result;
}

function stop(instance: Instance): Promise<void> {
  return stopProcess(instance.process);
}

/** Nanoseconds one request's recording takes, over a realistic spread of series. */

async function main(): Promise<void> {
  const dataDir = mkdtempSync(join(tmpdir(), 'regshield-metrics-bench-'));
  const on = await startInstance('metrics on', 3910, { DATA_DIR: dataDir, METRICS_ENABLED: 'true' });
  const databaseUrl = process.env.DATABASE_URL ?? (await new EmbeddedDatabase(dataDir, quiet).runningUrl());
  if (!databaseUrl) throw new Error('the embedded database is not running');
  const off = await startInstance('metrics off', 3911, {
    DATA_DIR: mkdtempSync(join(tmpdir(), 'regshield-metrics-bench-')),
    DATABASE_URL: databaseUrl,
    METRICS_ENABLED: 'false',
  });
  try {
    for (const instance of [on, off]) {
      instance.token = await login(instance);
      await load(instance, 2); // warm-up: JIT, pool connections
    }
    const measureCpu = processCpuSeconds(on.process.pid) !== undefined;
    const ratios: number[] = [];
    for (let round = 0; round < ROUNDS; round++) {
      const rates = new Map<Instance, number>();
      for (const instance of round % 2 === 0 ? [on, off] : [off, on]) {
        const cpuBefore = measureCpu ? cpuSeconds(instance) : 0;
        const result = await load(instance, SECONDS_PER_ROUND);
        if (measureCpu) instance.cpuSeconds += cpuSeconds(instance) - cpuBefore;
        instance.okRequests += result['2xx'];
        instance.seconds += result.duration;
        rates.set(instance, result['2xx'] / result.duration);
      }
      ratios.push(rates.get(on)! / rates.get(off)!);
      console.log(`round ${round + 1}: on ${rates.get(on)!.toFixed(0)}, off ${rates.get(off)!.toFixed(0)} requests/s`);
    }
    const rate = (instance: Instance) => instance.okRequests / instance.seconds;
    const recording = recordingNanoseconds();
    const series = (await (await fetch(`${on.base}/metrics`)).text())
      .split('\n')
      .filter((l) => l.startsWith('regshield_http_requests_total{'));
    console.log(
      `GET /api/auth/me, ${CONNECTIONS} connections, ${ROUNDS} rounds of ${SECONDS_PER_ROUND} s each, ${cpus().length} CPUs (${cpus()[0]?.model ?? 'unknown'})`,
    );
    console.log(`metrics on:  ${rate(on).toFixed(0)} requests/s`);
    console.log(`metrics off: ${rate(off).toFixed(0)} requests/s`);
    console.log(`on/off ratio over the whole run: ${(rate(on) / rate(off)).toFixed(3)}`);
    console.log(
      `median of the rounds' on/off ratios: ${median(ratios).toFixed(3)} (cost ${((1 - median(ratios)) * 100).toFixed(1)} %)`,
    );
    if (measureCpu) {
      const cpuPerRequest = (instance: Instance) => (instance.cpuSeconds / instance.okRequests) * 1e6;
      console.log(
        `server CPU per request: on ${cpuPerRequest(on).toFixed(0)} µs, off ${cpuPerRequest(off).toFixed(0)} µs ` +
          `(cost ${((cpuPerRequest(on) / cpuPerRequest(off) - 1) * 100).toFixed(1)} %)`,
      );
      console.log(
        `recording one request: ${(recording / 1000).toFixed(1)} µs CPU = ` +
          `${((recording / 1000 / cpuPerRequest(off)) * 100).toFixed(2)} % of a /me request's CPU time`,
      );
    } else {
      console.log(`recording one request: ${(recording / 1000).toFixed(1)} µs CPU`);
    }
    console.log(`HTTP series after the run: ${series.length}`);
  } finally {
    await stop(off);
    await stop(on);
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
