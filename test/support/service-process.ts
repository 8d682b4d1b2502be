import { ChildProcess, spawn } from 'node:child_process';
import { createServer } from 'node:net';
import { join, resolve } from 'node:path';

/** The built service (`npm run build`; npm test does it), run as `node dist/src/main.js` like a user runs it. */
export const BUILT_MAIN = join(resolve(__dirname, '../..'), 'dist/src/main.js');

/** A TCP port nothing listens on right now, on the loopback interface. */
export function freePort(): Promise<number> {
  return new Promise((done, fail) => {
    const server = createServer()
      .once('error', fail)
      .listen(0, '127.0.0.1', () => {
        const { port } = server.address() as { port: number };
        server.close(() => done(port));
      });
  });
}

/** The test runner's environment minus what would change the service's mode (database, Redis, secrets). */
export function serviceEnv(extra: Record<string, string>): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env, NODE_ENV: 'development', ...extra };
  for (const name of ['DATABASE_URL', 'REDIS_URL', 'JWT_SECRET'] as const) {
    if (!(name in extra)) delete env[name];
  }
  return env;
}

interface Exit {
  code: number | null;
  signal: NodeJS.Signals | null;
}

/** One `node dist/src/main.js` process (its env names its PORT): started, watched until it listens, signalled. */
export class ServiceProcess {
  output = '';
  private child?: ChildProcess;
  private exited?: Promise<Exit>;

  constructor(
    readonly name: string,
    private readonly env: NodeJS.ProcessEnv,
  ) {}

  get port(): number {
    return Number(this.env.PORT);
  }

  url(path: string): string {
    return `http://127.0.0.1:${this.port}${path}`;
  }

  get running(): boolean {
    return this.child !== undefined && this.child.exitCode === null && this.child.signalCode === null;
  }

  async start(timeoutMs = 60_000): Promise<void> {
    const child = spawn(process.execPath, [BUILT_MAIN], { env: this.env, stdio: ['ignore', 'pipe', 'pipe'] });
    this.child = child;
    const exited = new Promise<Exit>((done) => child.once('exit', (code, signal) => done({ code, signal })));
    this.exited = exited;
    const startedAt = this.output.length;
    await new Promise<void>((ready, fail) => {
      const timer = setTimeout(() => fail(new Error(`${this.name} did not start:\n${this.output}`)), timeoutMs);
      const onData = (chunk: Buffer) => {
        this.output += chunk.toString();
        if (this.output.indexOf('Listening on port', startedAt) !== -1) {
          clearTimeout(timer);
          ready();
        }
      };
      child.stdout.on('data', onData);
      child.stderr.on('data', onData);
      void exited.then(({ code }) => {
        clearTimeout(timer);
        fail(new Error(`${this.name} exited with ${code}:\n${this.output}`));
      });
    });
  }

  signal(signal: NodeJS.Signals): void {
    this.child?.kill(signal);
  }

  /** Sends the signal; resolves with the exit code (null when the signal itself ended the process). */
  async stop(signal: NodeJS.Signals = 'SIGTERM'): Promise<number | null> {
    if (!this.exited) return null;
    if (this.running) this.signal(signal);
    return (await this.exited).code;
  }

  exit(): Promise<Exit> {
    return this.exited ?? Promise.resolve({ code: null, signal: null });
  }

  /** For afterAll: never leave a service running, whatever a test did. */
  async kill(): Promise<void> {
    if (this.running) await this.stop('SIGKILL');
  }

  /** The security events this process printed (one JSON line each, `"log":"security"`). */
  securityEvents(): Array<Record<string, unknown>> {
    // The last piece may be a line still being written.
    return this.output
      .split('\n')
      .slice(0, -1)
      .filter((line) => line.includes('"log":"security"'))
      .map((line) => JSON.parse(line) as Record<string, unknown>);
  }
}
