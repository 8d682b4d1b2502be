import { ChildProcess, spawn } from 'node:child_process';
import { createServer } from 'node:net';
import { join, resolve } from 'node:path';

/** The built service as an operator runs it; `npm run build` (part of npm test) makes it. */
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

/** One `node dist/src/main.js` process: started, watched until "Listening on port", stopped by signal. */
export class ServiceProcess {
  output = '';
  private child?: ChildProcess;
  private exit?: Promise<number | null>;

  constructor(
    readonly name: string,
    private readonly env: NodeJS.ProcessEnv,
  ) {}

  get running(): boolean {
    return this.child !== undefined && this.child.exitCode === null && this.child.signalCode === null;
  }

  async start(): Promise<void> {
    const child = spawn(process.execPath, [BUILT_MAIN], { env: this.env, stdio: ['ignore', 'pipe', 'pipe'] });
    this.child = child;
    this.exit = new Promise((done) => child.once('exit', (code) => done(code)));
    const startedAt = this.output.length;
    await new Promise<void>((ready, fail) => {
      const timer = setTimeout(
        () => fail(new Error(`${this.name} did not start within 60 s:\n${this.output}`)),
        60_000,
      );
      const onData = (chunk: Buffer) => {
        this.output += chunk.toString();
        if (this.output.indexOf('Listening on port', startedAt) !== -1) {
          clearTimeout(timer);
          ready();
        }
      };
      child.stdout.on('data', onData);
      child.stderr.on('data', onData);
      void this.exit!.then((code) => {
        clearTimeout(timer);
        fail(new Error(`${this.name} exited with ${code}:\n${this.output}`));
      });
    });
  }

  /** Sends the signal; resolves with the exit code once the process is gone. */
  stop(signal: NodeJS.Signals = 'SIGTERM'): Promise<number | null> {
    if (!this.running) return this.exit ?? Promise.resolve(null);
    this.child!.kill(signal);
    return this.exit!;
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
