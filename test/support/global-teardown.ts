import { ChildProcess } from 'node:child_process';
import { Server, Socket } from 'node:net';

/** Time for Jest to print its summary and exit by itself once every test file has closed what it opened. */
const EXIT_GRACE_MS = 15_000;

export default async function globalTeardown(): Promise<void> {
  await globalThis.__EMBEDDED_TEST_DATABASE__?.stop();
  failIfStillRunning();
}

/**
 * On a 2-core machine Jest runs every test file inside its own process (in band), so a browser, server or
 * connection a file forgets to close keeps Jest alive after its summary, and CI waits until its own timeout
 * (it did, for 90 minutes). Instead, the run fails soon after, naming what was left open.
 */
function failIfStillRunning(): void {
  setTimeout(() => {
    const handles = (process as unknown as { _getActiveHandles(): unknown[] })._getActiveHandles();
    console.error(`The test run did not exit: a test left ${handles.length} handle(s) open:`);
    for (const handle of handles) console.error(`- ${describeHandle(handle)}`);
    process.exit(1);
  }, EXIT_GRACE_MS).unref();
}

function describeHandle(handle: unknown): string {
  if (handle instanceof ChildProcess) return `child process ${handle.pid}: ${handle.spawnargs.join(' ').slice(0, 200)}`;
  if (handle instanceof Server) return `server listening on ${JSON.stringify(handle.address())}`;
  if (handle instanceof Socket) {
    return handle.remotePort === undefined
      ? 'socket (a pipe)'
      : `socket to ${handle.remoteAddress}:${handle.remotePort}`;
  }
  return (handle as object | null)?.constructor?.name ?? String(handle);
}
