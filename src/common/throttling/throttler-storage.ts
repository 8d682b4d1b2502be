import { Logger, OnApplicationBootstrap, OnApplicationShutdown, ServiceUnavailableException } from '@nestjs/common';
import { ThrottlerStorage, ThrottlerStorageService } from '@nestjs/throttler';
import { ThrottlerStorageRecord } from '@nestjs/throttler/dist/throttler-storage-record.interface';
import { randomUUID } from 'node:crypto';
import Redis from 'ioredis';
import type { RateLimitRedisFailureMode } from '../../config/app-config';
import { errorMessage } from '../error-message';

/** The longest a request waits for Redis before it is counted in memory instead (a frozen server). */
export const REDIS_COMMAND_TIMEOUT_MS = 500;
/** After a failed command, how long counting stays in memory before Redis is asked again. */
export const REDIS_RETRY_AFTER_MS = 5000;
/** How long the start waits for a first connection, so that the first requests are already counted in Redis. */
const REDIS_STARTUP_WAIT_MS = 2000;

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

/** What a request is told under RATE_LIMIT_REDIS_FAILURE=closed while Redis does not answer (503, Retry-After). */
export const RATE_LIMITS_UNAVAILABLE = 'Rate limits unavailable, try again later';

/** What each mode does to a rate-limited request while Redis cannot answer, as the warning says it once. */
const WITHOUT_REDIS: Record<RateLimitRedisFailureMode, string> = {
  local: 'this instance counts rate limits on its own until it does',
  open: 'rate limits are not enforced until it does',
  closed: 'rate-limited routes answer 503 until it does',
};

/**
 * Rate-limit counters in Redis (REDIS_URL), shared by every instance of the service.
 *
 * While Redis cannot answer (down, unreachable, or frozen past REDIS_COMMAND_TIMEOUT_MS), RATE_LIMIT_REDIS_FAILURE
 * decides. `local` (the default): each instance counts in its own memory, as it does without REDIS_URL, so the
 * limits still hold, per instance, and logins and sign-ups still answer. `open` lets every request through
 * uncounted: logins are unthrottled for as long as an attacker can keep Redis away. `closed` refuses the
 * rate-limited requests (503): a Redis outage becomes an outage of login and sign-up. Routes that count
 * nothing never notice. Commands are never queued while the connection is down, so nothing waits for a
 * reconnection; ioredis reconnects by itself, and the counting returns to Redis once it answers again (the
 * counts made in memory meanwhile stay there).
 */
export class RedisThrottlerStorage implements ThrottlerStorage, OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger('RateLimits');
  private readonly redis: Redis;
  private readonly local = new ThrottlerStorageService();
  private skipRedisUntil = 0;
  private degraded = false;

  constructor(
    url: string,
    private readonly failureMode: RateLimitRedisFailureMode = 'local',
  ) {
    this.redis = new Redis(url, {
      enableOfflineQueue: false,
      maxRetriesPerRequest: 0,
      commandTimeout: REDIS_COMMAND_TIMEOUT_MS,
      connectTimeout: 2000,
    });
    this.redis.defineCommand('regshieldSlidingWindow', { numberOfKeys: 1, lua: SLIDING_WINDOW });
    // Without a listener ioredis prints every failed reconnection attempt; one line per outage is enough.
    this.redis.on('error', (error: Error) => this.fallBack(error));
  }

  /** A Redis that does not answer by then does not stop the start: counting begins in memory. */
  async onApplicationBootstrap(): Promise<void> {
    if (this.redis.status === 'ready') return;
    await new Promise<void>((resolve) => {
      const timer = setTimeout(resolve, REDIS_STARTUP_WAIT_MS);
      this.redis.once('ready', () => {
        clearTimeout(timer);
        resolve();
      });
    });
  }

  async increment(
    key: string,
    ttl: number,
    limit: number,
    blockDuration: number,
    throttlerName: string,
  ): Promise<ThrottlerStorageRecord> {
    if (this.redis.status === 'ready' && Date.now() >= this.skipRedisUntil) {
      try {
        const record = await this.incrementInRedis(key, ttl, limit, throttlerName);
        if (this.degraded) {
          this.degraded = false;
          this.logger.log('Redis answers again: rate limits are shared by the instances again');
        }
        return record;
      } catch (error) {
        this.skipRedisUntil = Date.now() + REDIS_RETRY_AFTER_MS;
        this.fallBack(error);
      }
    }
    // Not connected (yet, or any more: the 'error' listener has said why), or waiting before a retry.
    return this.withoutRedis(key, ttl, limit, blockDuration, throttlerName);
  }

  /** QUIT when connected; either way disconnect(), as a client left reconnecting to a Redis that is down never stops. */
  async onApplicationShutdown(): Promise<void> {
    this.local.onApplicationShutdown();
    if (this.redis.status === 'ready') await this.redis.quit().catch(() => undefined);
    this.redis.disconnect();
  }

  private async incrementInRedis(
    key: string,
    ttl: number,
    limit: number,
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

  private withoutRedis(
    key: string,
    ttl: number,
    limit: number,
    blockDuration: number,
    throttlerName: string,
  ): Promise<ThrottlerStorageRecord> {
    switch (this.failureMode) {
      case 'local':
        return this.local.increment(key, ttl, limit, blockDuration, throttlerName);
      case 'open':
        return Promise.resolve({
          totalHits: 0,
          timeToExpire: Math.ceil(ttl / 1000),
          isBlocked: false,
          timeToBlockExpire: 0,
        });
      case 'closed':
        throw new ServiceUnavailableException(RATE_LIMITS_UNAVAILABLE);
    }
  }

  /** Whether Redis answers a PING now (the console's status page); false at once while disconnected. */
  async answers(): Promise<boolean> {
    try {
      await this.redis.ping();
      return true;
    } catch {
      return false;
    }
  }

  private fallBack(error: unknown): void {
    if (this.degraded) return;
    this.degraded = true;
    const reason = errorMessage(error);
    this.logger.warn(`Redis does not answer (${reason}): ${WITHOUT_REDIS[this.failureMode]}`);
  }
}

export function createThrottlerStorage(
  redisUrl: string | undefined,
  failureMode: RateLimitRedisFailureMode,
): ThrottlerStorage | undefined {
  return redisUrl ? new RedisThrottlerStorage(redisUrl, failureMode) : undefined;
}
