import { createServer, Server } from 'node:net';
import { RedisThrottlerStorage } from './throttler-storage';

/** Longer than the longest pause ioredis makes between two reconnection attempts (2 s by default). */
const LONGER_THAN_A_RETRY_MS = 2500;

describe('RedisThrottlerStorage', () => {
  let server: Server;
  let connections = 0;

  beforeAll(async () => {
    // A "Redis" that drops every connection at once: the client keeps reconnecting to it.
    server = createServer((socket) => {
      connections += 1;
      socket.destroy();
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  });
  afterAll(() => new Promise((resolve) => server.close(resolve)));

  it('stops reconnecting when the application shuts down while Redis is away', async () => {
    const { port } = server.address() as { port: number };
    const storage = new RedisThrottlerStorage(`redis://127.0.0.1:${port}`);
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(connections).toBeGreaterThan(0);

    await storage.onApplicationShutdown();
    const atShutdown = connections;
    await new Promise((resolve) => setTimeout(resolve, LONGER_THAN_A_RETRY_MS));

    expect(connections).toBe(atShutdown);
  });
});
