import { ChildProcess, spawn, spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { join, resolve } from 'node:path';

/** The configuration an operator installs; the test runs it with only addresses, ports and paths changed. */
export const SHIPPED_HAPROXY_CONFIG = resolve(__dirname, '../../deploy/haproxy/haproxy.cfg');

export interface LoopbackLayout {
  httpPort: number;
  httpsPort: number;
  /** The shipped file's server names (app1, app2, …) and the loopback port each instance listens on. */
  servers: Record<string, number>;
  /** Certificate chain and key in one PEM file. */
  certificateFile: string;
  statsSocket: string;
}

function replaceOnce(text: string, pattern: RegExp, replacement: string): string {
  const matches = text.match(new RegExp(pattern.source, 'gm'));
  if (matches?.length !== 1) {
    throw new Error(`deploy/haproxy/haproxy.cfg: expected one line matching ${pattern}, found ${matches?.length ?? 0}`);
  }
  return text.replace(new RegExp(pattern.source, 'm'), replacement);
}

/**
 * The shipped configuration moved onto loopback ports and temporary paths. Only the process's own setup
 * differs: it runs in the foreground as the test's user (no chroot, user, group or daemon) and logs to
 * stderr. Every routing, checking and retrying directive is kept as shipped; a rewrite that no longer
 * matches the file fails loudly rather than testing something else.
 */
export function loopbackConfig(shipped: string, layout: LoopbackLayout): string {
  let config = shipped;
  for (const directive of ['chroot', 'user', 'group', 'daemon']) {
    config = replaceOnce(config, new RegExp(`^\\s*${directive}\\b.*\\n`), '');
  }
  config = replaceOnce(config, /^(\s*)log \/dev\/log .*$/, '$1log stderr format raw local0 info');
  config = replaceOnce(config, /^(\s*)stats socket \S+/, `$1stats socket ${layout.statsSocket}`);
  config = replaceOnce(config, /^(\s*)bind :::80 v4v6$/, `$1bind 127.0.0.1:${layout.httpPort}`);
  config = replaceOnce(
    config,
    /^(\s*)bind :::443 v4v6 ssl crt \S+/,
    `$1bind 127.0.0.1:${layout.httpsPort} ssl crt ${layout.certificateFile}`,
  );
  for (const [name, port] of Object.entries(layout.servers)) {
    config = replaceOnce(config, new RegExp(`^(\\s*)server ${name} \\S+`), `$1server ${name} 127.0.0.1:${port}`);
  }
  return config;
}

/** A self-signed certificate for 127.0.0.1 (openssl), as HAProxy wants it: chain and key in one file. */
export function selfSignedCertificate(dir: string): { pemFile: string; certificate: string } {
  const keyFile = join(dir, 'key.pem');
  const certFile = join(dir, 'cert.pem');
  const made = spawnSync(
    'openssl',
    [
      'req',
      '-x509',
      '-newkey',
      'ec',
      '-pkeyopt',
      'ec_paramgen_curve:prime256v1',
      '-nodes',
      '-days',
      '1',
      '-subj',
      '/CN=localhost',
      '-addext',
      'subjectAltName=IP:127.0.0.1',
      '-keyout',
      keyFile,
      '-out',
      certFile,
    ],
    { encoding: 'utf8' },
  );
  if (made.status !== 0) throw new Error(`openssl req failed:\n${made.stderr}`);
  const certificate = readFileSync(certFile, 'utf8');
  const pemFile = join(dir, 'regshield.pem');
  writeFileSync(pemFile, certificate + readFileSync(keyFile, 'utf8'));
  return { pemFile, certificate };
}

/** One backend server's line of `show stat`. */
export interface ServerStat {
  name: string;
  /** UP, DOWN, MAINT, "UP 1/2" (going down), "DOWN 1/2" (coming up), … */
  status: string;
  /** The last check: L7OK (expected status), L7STS (other status), L4CON (connection refused), … */
  checkStatus: string;
  checkCode: string;
  /** Requests sent to this server so far. */
  requests: number;
}

/** `haproxy -db -f <file>`: the balancer in the foreground, driven through its runtime API. */
export class HaproxyProcess {
  output = '';
  private child?: ChildProcess;

  constructor(
    private readonly configFile: string,
    private readonly statsSocket: string,
    private readonly backend: string,
  ) {}

  async start(config: string): Promise<void> {
    writeFileSync(this.configFile, config);
    const check = spawnSync('haproxy', ['-c', '-f', this.configFile], { encoding: 'utf8' });
    if (check.status !== 0) throw new Error(`haproxy -c refused the configuration:\n${check.stdout}${check.stderr}`);
    const child = spawn('haproxy', ['-db', '-f', this.configFile], { stdio: ['ignore', 'pipe', 'pipe'] });
    this.child = child;
    child.stdout.on('data', (chunk: Buffer) => (this.output += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (this.output += chunk.toString()));
    const deadline = Date.now() + 10_000;
    for (;;) {
      try {
        await this.command('show info');
        return;
      } catch (error) {
        if (child.exitCode !== null || Date.now() > deadline) {
          throw new Error(`haproxy did not start (${(error as Error).message}):\n${this.output}`, { cause: error });
        }
        await new Promise((pause) => setTimeout(pause, 100));
      }
    }
  }

  /** One runtime API command over the stats socket; resolves with HAProxy's answer. */
  command(line: string): Promise<string> {
    return new Promise((done, fail) => {
      let answer = '';
      const socket = connect(this.statsSocket, () => socket.end(`${line}\n`));
      socket.setEncoding('utf8');
      socket.on('data', (chunk: string) => (answer += chunk));
      socket.once('error', fail);
      socket.once('close', () => done(answer));
    });
  }

  async servers(): Promise<ServerStat[]> {
    const [header, ...rows] = (await this.command('show stat')).split('\n').filter((line) => line !== '');
    const columns = header.replace(/^# /, '').split(',');
    const column = (row: string[], name: string) => row[columns.indexOf(name)];
    return rows
      .map((line) => line.split(','))
      .filter(
        (row) => column(row, 'pxname') === this.backend && !['FRONTEND', 'BACKEND'].includes(column(row, 'svname')),
      )
      .map((row) => ({
        name: column(row, 'svname'),
        status: column(row, 'status'),
        checkStatus: column(row, 'check_status'),
        checkCode: column(row, 'check_code'),
        requests: Number(column(row, 'stot')),
      }));
  }

  /** Polls `show stat` until every named server has the status wanted; returns the last reading. */
  async waitForStatus(wanted: Record<string, string>, timeoutMs: number): Promise<ServerStat[]> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const servers = await this.servers();
      if (Object.entries(wanted).every(([name, status]) => servers.find((s) => s.name === name)?.status === status)) {
        return servers;
      }
      if (Date.now() > deadline) {
        throw new Error(`HAProxy servers did not reach ${JSON.stringify(wanted)}: ${JSON.stringify(servers)}`);
      }
      await new Promise((pause) => setTimeout(pause, 100));
    }
  }

  stop(): Promise<void> {
    const child = this.child;
    if (!child || child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
    return new Promise((done) => {
      child.once('exit', () => done());
      child.kill('SIGTERM');
    });
  }
}

/**
 * The shipped deploy/haproxy/haproxy.cfg on loopback, with a fresh self-signed certificate, in front of two
 * instances `app1` and `app2`, once HAProxy reports both UP; with the certificate clients must trust.
 */
export async function startShippedHaproxy(
  workDir: string,
  ports: { app1: number; app2: number; http: number; https: number },
): Promise<{ haproxy: HaproxyProcess; certificate: string }> {
  const tls = selfSignedCertificate(workDir);
  const statsSocket = join(workDir, 'haproxy.sock');
  const haproxy = new HaproxyProcess(join(workDir, 'haproxy.cfg'), statsSocket, 'regshield');
  await haproxy.start(
    loopbackConfig(readFileSync(SHIPPED_HAPROXY_CONFIG, 'utf8'), {
      httpPort: ports.http,
      httpsPort: ports.https,
      servers: { app1: ports.app1, app2: ports.app2 },
      certificateFile: tls.pemFile,
      statsSocket,
    }),
  );
  await haproxy.waitForStatus({ app1: 'UP', app2: 'UP' }, 10_000);
  return { haproxy, certificate: tls.certificate };
}
