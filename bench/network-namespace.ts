import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client } from 'pg';
import { startRelay } from './socket-relay';

/**
 * `npm run bench:sip` attacks from a thousand addresses, IPv4 and IPv6. Loopback has one IPv6 address (::1),
 * and test prefixes added to the machine's own `lo` would be seen by everything else on it, so the bench
 * re-runs itself in a network namespace of its own (`unshare --net`; with `--map-root-user` when not root),
 * whose loopback it may change freely and which disappears with the run: there it adds the RFC 2544
 * benchmark range and an IPv6 documentation prefix as local routes. Kamailio, the service and the load all
 * run inside it.
 *
 * PostgreSQL on 127.0.0.1 is out of the namespace's reach, but Unix socket paths are not (the file system is
 * shared). When DATABASE_URL names a server on this machine whose own Unix socket accepts the same user, the
 * service and Kamailio connect to that socket directly; otherwise through a relay (TCP inside → a Unix socket
 * → TCP outside), which adds two hops to every query (on this machine under load: p99 8 ms instead of 2.5 ms
 * for a SELECT 1), so the direct way is preferred.
 */
const INSIDE = 'REGSHIELD_SIP_BENCH_NAMESPACE';
/** Set inside: the Unix socket the outer process relays to DATABASE_URL's host and port. */
const DATABASE_SOCKET = 'REGSHIELD_SIP_BENCH_DATABASE_SOCKET';
/** Set inside: the directory of PostgreSQL's own Unix socket, to connect to directly. */
const DATABASE_SOCKET_DIR = 'REGSHIELD_SIP_BENCH_DATABASE_SOCKET_DIR';
const SOCKET_DIRS = ['/var/run/postgresql', '/run/postgresql', '/tmp'];

export const insideBenchNamespace = (): boolean => process.env[INSIDE] === '1';

/**
 * Runs `script` again in a new network namespace, relaying DATABASE_URL (when set) through a Unix socket;
 * resolves with its exit code.
 */
export async function rerunInNetworkNamespace(script: string): Promise<number> {
  const relayDir = mkdtempSync(join(tmpdir(), 'regshield-sipbench-net-'));
  const socketPath = join(relayDir, 'postgres.sock');
  const databaseUrl = process.env.DATABASE_URL;
  const socketDir = databaseUrl ? await localSocketDir(databaseUrl) : undefined;
  const relay = databaseUrl && !socketDir ? await startRelay(socketPath, databaseAddress(databaseUrl)) : undefined;
  const unshareArgs = process.getuid?.() === 0 ? ['--net'] : ['--map-root-user', '--net'];
  try {
    const child = spawn('unshare', [...unshareArgs, '--', process.execPath, script], {
      env: {
        ...process.env,
        [INSIDE]: '1',
        ...(relay ? { [DATABASE_SOCKET]: socketPath } : {}),
        ...(socketDir ? { [DATABASE_SOCKET_DIR]: socketDir } : {}),
      },
      stdio: 'inherit',
    });
    return await new Promise<number>((resolve, reject) => {
      child.once('error', (error) =>
        reject(new Error(`could not run unshare (util-linux) for a private network namespace: ${error.message}`)),
      );
      child.once('exit', (code, signal) => resolve(code ?? (signal ? 1 : 0)));
    });
  } finally {
    relay?.close();
    rmSync(relayDir, { recursive: true, force: true });
  }
}

/** The directory of the local server's own Unix socket, if DATABASE_URL's user can sign in through it. */
async function localSocketDir(databaseUrl: string): Promise<string | undefined> {
  const url = new URL(databaseUrl);
  if (!['127.0.0.1', 'localhost', '[::1]', ''].includes(url.hostname)) return undefined;
  const port = url.port || '5432';
  for (const dir of SOCKET_DIRS.filter((candidate) => existsSync(join(candidate, `.s.PGSQL.${port}`)))) {
    const client = new Client({ connectionString: databaseUrl, host: dir, port: Number(port) });
    try {
      await client.connect();
      await client.query('SELECT 1');
      return dir;
    } catch {
      // another authentication rule for local connections: try the next, or relay
    } finally {
      await client.end().catch(() => undefined);
    }
  }
  return undefined;
}

function databaseAddress(databaseUrl: string): string {
  const url = new URL(databaseUrl);
  return `${url.hostname || '127.0.0.1'}:${url.port || '5432'}`;
}

function run(command: string, args: string[]): void {
  const result = spawnSync(command, args, { encoding: 'utf8' });
  if (result.status !== 0) {
    throw new Error(`${command} ${args.join(' ')} failed: ${result.error?.message ?? result.stderr}`);
  }
}

/**
 * Inside the namespace: loopback up, every address of `ipv4` and `ipv6` local (a `local` route, so one route
 * covers a thousand sources), and IPv6 sockets allowed to bind to addresses of a local route
 * (ip_nonlocal_bind, this namespace's own setting; IPv4 needs none).
 */
export function prepareLoopback(ipv4: string, ipv6: string): void {
  run('ip', ['link', 'set', 'lo', 'up']);
  run('ip', ['-4', 'route', 'add', 'local', ipv4, 'dev', 'lo']);
  run('ip', ['-6', 'route', 'add', 'local', ipv6, 'dev', 'lo']);
  writeFileSync('/proc/sys/net/ipv6/ip_nonlocal_bind', '1');
}

/** How the bench reaches DATABASE_URL from inside the namespace, for the report. */
export function databaseRoute(): string {
  if (process.env[DATABASE_SOCKET_DIR]) return `its own Unix socket in ${process.env[DATABASE_SOCKET_DIR]}`;
  if (process.env[DATABASE_SOCKET]) return 'a relay (TCP inside → a Unix socket → TCP outside)';
  return 'loopback';
}

/**
 * PostgreSQL's Unix socket directory a URL names (`?host=/var/run/postgresql`), for clients that take no
 * query string (Kamailio's db_postgres: an empty host, with libpq's PGHOST and PGPORT).
 */
export function socketDirOf(databaseUrl: string): { dir: string; port: string } | undefined {
  const url = new URL(databaseUrl);
  const dir = url.searchParams.get('host');
  return dir?.startsWith('/') ? { dir, port: url.port || '5432' } : undefined;
}

/**
 * Inside the namespace, with DATABASE_URL set outside and no direct way: a relay (its own process, so the load generator's busy
 * event loop never delays the database's traffic) listening on DATABASE_URL's port at 127.0.0.1 here, and
 * DATABASE_URL rewritten to it. Resolves with a function that stops the relay.
 */
export async function relayDatabaseIntoNamespace(relayScript: string): Promise<() => void> {
  const socketPath = process.env[DATABASE_SOCKET];
  const socketDir = process.env[DATABASE_SOCKET_DIR];
  const databaseUrl = process.env.DATABASE_URL;
  if (socketDir && databaseUrl) {
    const url = new URL(databaseUrl);
    url.searchParams.set('host', socketDir);
    process.env.DATABASE_URL = url.toString();
    return () => undefined;
  }
  if (!socketPath || !databaseUrl) return () => undefined;
  const url = new URL(databaseUrl);
  const port = url.port || '5432';
  const child = spawn(process.execPath, [relayScript, `127.0.0.1:${port}`, socketPath], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  await new Promise<void>((resolve, reject) => {
    child.stdout.once('data', () => resolve());
    child.once('exit', (code) => reject(new Error(`the database relay exited (${code})`)));
  });
  url.hostname = '127.0.0.1';
  url.port = port;
  process.env.DATABASE_URL = url.toString();
  return () => child.kill('SIGTERM');
}
