import { Logger, ServiceUnavailableException } from '@nestjs/common';
import { createServer, Server } from 'node:net';
import { RATE_LIMITS_UNAVAILABLE, RedisThrottlerStorage } from './throttler-storage';

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

  describe('while Redis is away (RATE_LIMIT_REDIS_FAILURE)', () => {
    const LIMIT = 2;
    const WINDOW_MS = 60_000;
    let storage: RedisThrottlerStorage | undefined;
    let warnings: jest.SpyInstance;

    /** A storage whose Redis drops every connection, once the client has said that it does. */
    const awayFrom = async (mode: 'local' | 'open' | 'closed') => {
      const { port } = server.address() as { port: number };
      storage = new RedisThrottlerStorage(`redis://127.0.0.1:${port}`, mode);
      while (warnings.mock.calls.length === 0) await new Promise((resolve) => setTimeout(resolve, 20));
      return storage;
    };
    const hit = (on: RedisThrottlerStorage, key = 'client') => on.increment(key, WINDOW_MS, LIMIT, WINDOW_MS, 'login');

    beforeEach(() => {
      warnings = jest.spyOn(Logger.prototype, 'warn').mockImplementation(() => undefined);
    });
    afterEach(async () => {
      warnings.mockRestore();
      await storage?.onApplicationShutdown();
      storage = undefined;
    });

    it("local (the default): counts in this instance's memory, so the limit still holds", async () => {
      const local = await awayFrom('local');
      const records = [];
      for (let i = 0; i <= LIMIT; i++) records.push(await hit(local));
      expect(records.map((record) => record.isBlocked)).toEqual([false, false, true]);
      expect(records[LIMIT].timeToBlockExpire).toBeGreaterThan(0);
    });

    it('open: lets every request through, counted nowhere', async () => {
      const open = await awayFrom('open');
      for (let i = 0; i <= LIMIT * 3; i++) {
        expect(await hit(open)).toEqual({ totalHits: 0, timeToExpire: 60, isBlocked: false, timeToBlockExpire: 0 });
      }
    });

    it('closed: refuses every counted request with 503', async () => {
      const closed = await awayFrom('closed');
      const refusal = hit(closed);
      await expect(refusal).rejects.toBeInstanceOf(ServiceUnavailableException);
      await expect(hit(closed)).rejects.toThrow(RATE_LIMITS_UNAVAILABLE);
    });

    it.each(['local', 'open', 'closed'] as const)(
      '%s: says so once per outage, not once per request or reconnection attempt',
      async (mode) => {
        const away = await awayFrom(mode);
        const seen = connections;
        for (let i = 0; i < 5; i++) await hit(away, `client-${i}`).catch(() => undefined);
        while (connections < seen + 2) await new Promise((resolve) => setTimeout(resolve, 50));
        expect(warnings).toHaveBeenCalledTimes(1);
        expect(warnings.mock.calls[0][0]).toMatch(/^Redis does not answer \(.*\): /);
      },
    );
  });
});
