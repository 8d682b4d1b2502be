import { OnApplicationShutdown } from '@nestjs/common';
import { ThrottlerStorage } from '@nestjs/throttler';
import { ThrottlerStorageRecord } from '@nestjs/throttler/dist/throttler-storage-record.interface';
import { randomUUID } from 'node:crypto';
import Redis from 'ioredis';

/**
 * A sliding-window log per key, kept in one sorted set and updated atomically by a script that reads the
 * clock of Redis itself, so that every instance counts against the same window.
 * Returns {hits in the window, 1 when over the limit, ms until the oldest hit leaves the window}.
 */
const SLIDING_WINDOW = `
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local ttl = tonumber(ARGV[1])
local limit = tonumber(ARGV[2])
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now - ttl)
local hits = redis.call('ZCARD', KEYS[1])
local blocked = 0
if hits < limit then
  redis.call('ZADD', KEYS[1], now, ARGV[3])
  hits = hits + 1
else
  blocked = 1
end
redis.call('PEXPIRE', KEYS[1], ttl)
local oldest = tonumber(redis.call('ZRANGE', KEYS[1], 0, 0, 'WITHSCORES')[2])
return {hits, blocked, oldest + ttl - now}
`;

/** Rate-limit counters in Redis (REDIS_URL), shared by every instance of the service. */
export class RedisThrottlerStorage implements ThrottlerStorage, OnApplicationShutdown {
  private readonly redis: Redis;

  constructor(url: string) {
    this.redis = new Redis(url, { lazyConnect: false, maxRetriesPerRequest: 2, enableOfflineQueue: true });
    this.redis.defineCommand('regshieldSlidingWindow', { numberOfKeys: 1, lua: SLIDING_WINDOW });
  }

  async increment(
    key: string,
    ttl: number,
    limit: number,
    _blockDuration: number,
    throttlerName: string,
  ): Promise<ThrottlerStorageRecord> {
    const [hits, blocked, msLeft] = await (
      this.redis as Redis & { regshieldSlidingWindow(...args: unknown[]): Promise<number[]> }
    ).regshieldSlidingWindow(`regshield:throttle:${throttlerName}:${key}`, ttl, limit, randomUUID());
    const secondsLeft = Math.max(1, Math.ceil(msLeft / 1000));
    return {
      totalHits: blocked ? hits + 1 : hits,
      timeToExpire: secondsLeft,
      isBlocked: blocked === 1,
      timeToBlockExpire: blocked ? secondsLeft : 0,
    };
  }

  async onApplicationShutdown(): Promise<void> {
    await this.redis.quit().catch(() => undefined);
  }
}

export function createThrottlerStorage(redisUrl: string | undefined): ThrottlerStorage | undefined {
  return redisUrl ? new RedisThrottlerStorage(redisUrl) : undefined;
}
