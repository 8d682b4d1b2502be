import { Injectable, UnauthorizedException } from '@nestjs/common';
import { InjectThrottlerStorage, normalizeIp, ThrottlerException, type ThrottlerStorage } from '@nestjs/throttler';
import { FastifyReply, FastifyRequest } from 'fastify';
import { clientIp } from '../common/client-ip';
import { SecurityLogService } from '../common/security-log.service';
import { AppConfig } from '../config/app-config';
import { InjectConfig } from '../config/config.module';

const THROTTLER_NAME = 'api_key';
/** IPv6 clients are counted per /64, as the login and registration limits count them. */
const IPV6_PREFIX = 64;
/** Bounds the memory a flood of blocked addresses can take; the oldest blocks are forgotten first. */
const MAX_REMEMBERED_BLOCKS = 10_000;

/**
 * Wrong `X-Api-Key`s: each is a security event, and after API_KEY_RATE_LIMIT of them within API_KEY_RATE_TTL
 * seconds a client is refused (429) until the oldest leaves the window. Only failures count, in the throttler storage the
 * other limits use (Redis with REDIS_URL), so the proxy's own traffic with the right key is never limited.
 *
 * A blocked client is refused before its key is compared, right key or not: otherwise 429 would mean
 * "wrong" and 200 "right", and the limit would not slow a guesser at all. The storage can only count, not
 * be asked, so each instance remembers the blocks it was told of; another instance learns of a block at
 * the client's next wrong key there.
 */
@Injectable()
export class ApiKeyFailureLimiter {
  private readonly blockedUntil = new Map<string, number>();

  constructor(
    @InjectThrottlerStorage() private readonly storage: ThrottlerStorage,
    private readonly securityLog: SecurityLogService,
    @InjectConfig() private readonly config: AppConfig,
  ) {}

  /** Throws 429 while the client is blocked. */
  refuseIfBlocked(request: FastifyRequest, reply: FastifyReply): void {
    // The usual case, on every request of the proxy: nobody blocked, no client address to work out.
    if (this.blockedUntil.size === 0) return;
    const until = this.blockedUntil.get(tracker(request));
    if (until === undefined) return;
    const secondsLeft = Math.ceil((until - Date.now()) / 1000);
    if (secondsLeft <= 0) {
      this.blockedUntil.delete(tracker(request));
      return;
    }
    this.tooMany(request, reply, secondsLeft);
  }

  /** Logs and counts a wrong key; throws 401, or 429 once the client is over the limit. */
  async reject(request: FastifyRequest, reply: FastifyReply): Promise<never> {
    const ip = clientIp(request);
    this.securityLog.log('api_key_rejected', { ip, method: request.method, path: routePath(request) });
    const { limit, ttlSeconds } = this.config.apiKeyRateLimit;
    const key = tracker(request);
    const record = await this.storage.increment(`api-key-failures:${key}`, ttlSeconds * 1000, limit, 0, THROTTLER_NAME);
    if (record.isBlocked) {
      const secondsLeft = Math.max(1, record.timeToBlockExpire);
      this.remember(key, Date.now() + secondsLeft * 1000);
      this.tooMany(request, reply, secondsLeft);
    }
    if (record.totalHits >= limit) {
      // The last failure the window allows: whatever the client sends next is refused until it ends.
      this.remember(key, Date.now() + Math.max(1, record.timeToExpire) * 1000);
    }
    throw new UnauthorizedException('Invalid API key');
  }

  private remember(key: string, until: number): void {
    this.blockedUntil.delete(key);
    this.blockedUntil.set(key, until);
    if (this.blockedUntil.size > MAX_REMEMBERED_BLOCKS) {
      const oldest = this.blockedUntil.keys().next().value as string;
      this.blockedUntil.delete(oldest);
    }
  }

  private tooMany(request: FastifyRequest, reply: FastifyReply, secondsLeft: number): never {
    void reply.header('Retry-After', secondsLeft);
    const { limit, ttlSeconds } = this.config.apiKeyRateLimit;
    this.securityLog.log('rate_limit_hit', {
      ip: clientIp(request),
      method: request.method,
      path: routePath(request),
      limit,
      window_seconds: ttlSeconds,
    });
    throw new ThrottlerException('Too many requests, try again later');
  }
}

function tracker(request: FastifyRequest): string {
  return normalizeIp(clientIp(request), IPV6_PREFIX);
}

/** The route's template, not the raw URL: the check/{ip} route would otherwise log every address asked. */
function routePath(request: FastifyRequest): string {
  return request.routeOptions?.url ?? request.url;
}
