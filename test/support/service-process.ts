import { ChildProcess, spawn } from 'node:child_process';
import { createServer } from 'node:net';
import { join, resolve } from 'node:path';

/** The built service (`npm run build`; npm test does it), run as `node dist/src/main.js` like a user runs it. */
export const MAIN = join(resolve(__dirname, '../..'), 'dist/src/main.js');

export function freePort(): Promise<number> {
  return new Promise((done) => {
    const server = createServer().listen(0, '127.0.0.1', () => {
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

/** One run of the service process; `start` resolves once it listens. */
export class ServiceProcess {
  output = '';
  private child?: ChildProcess;
  private exited?: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;

  constructor(
    private readonly env: NodeJS.ProcessEnv,
    readonly port: number,
  ) {}

  url(path: string): string {
    return `http://127.0.0.1:${this.port}${path}`;
  }

  async start(timeoutMs = 45_000): Promise<void> {
    const child = spawn(process.execPath, [MAIN], {
      env: { ...this.env, PORT: String(this.port) },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    this.child = child;
    this.exited = new Promise((done) => child.once('exit', (code, signal) => done({ code, signal })));
    const startedAt = this.output.length;
    await new Promise<void>((ready, fail) => {
      const timer = setTimeout(() => fail(new Error(`service did not start:\n${this.output}`)), timeoutMs);
      const onData = (chunk: Buffer) => {
        this.output += chunk.toString();
        if (this.output.indexOf('Listening on port', startedAt) !== -1) {
          clearTimeout(timer);
          ready();
        }
      };
      child.stdout!.on('data', onData);
      child.stderr!.on('data', onData);
      void this.exited!.then(({ code }) => {
        clearTimeout(timer);
        fail(new Error(`service exited with ${code}:\n${this.output}`));
      });
    });
  }

  /** Sends the signal and resolves with the exit code (null when the signal itself ended the process). */
  async stop(signal: NodeJS.Signals): Promise<number | null> {
    this.signal(signal);
    return (await this.exited!).code;
  }

  signal(signal: NodeJS.Signals): void {
    this.child!.kill(signal);
  }

  async exit(): Promise<{ code: number | null; signal: NodeJS.Signals | null }> {
    return this.exited!;
  }

  /** For afterAll: never leave a service running, whatever a test did. */
  async kill(): Promise<void> {
    if (this.child && this.child.exitCode === null && this.child.signalCode === null) {
      await this.stop('SIGKILL');
    }
  }
}
