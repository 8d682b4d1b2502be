import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Client } from 'pg';

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
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}
