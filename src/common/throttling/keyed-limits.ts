import { ExecutionContext } from '@nestjs/common';
import { ThrottlerException, type ThrottlerStorage } from '@nestjs/throttler';
import { FastifyReply, FastifyRequest } from 'fastify';
import { clientIp } from '../client-ip';
import { SecurityLogService } from '../security-log.service';

/** One counter of a request: what it counts by (logged), its key in the storage, and its limit per window. */
export interface KeyedCount {
  countedBy: string;
  key: string;
  limit: number;
}

export interface KeyedLimits {
  /** The counters' namespace in the rate-limit storage (and the throttler name it is told). */
  name: string;
  ttlSeconds: number;
  counts: KeyedCount[];
  /** Fields the rate_limit_hit line carries besides the request's own. */
  logFields?: Record<string, unknown>;
}

/**
 * Counts the request once under each key, in the rate-limit storage the other limits use (Redis with
 * REDIS_URL, so every instance counts together). Over any key's limit: Retry-After, a rate_limit_hit line
 * saying what counted, and 429. For the limits @nestjs/throttler's per-IP guard cannot express: per
 * account, per e-mail address.
 */
export async function enforceKeyedLimits(
  storage: ThrottlerStorage,
  securityLog: SecurityLogService,
  context: ExecutionContext,
  { name, ttlSeconds, counts, logFields }: KeyedLimits,
): Promise<void> {
  const http = context.switchToHttp();
  const request = http.getRequest<FastifyRequest>();
  const ttlMs = ttlSeconds * 1000;
  for (const { countedBy, key, limit } of counts) {
    const record = await storage.increment(`${name}:${key}`, ttlMs, limit, ttlMs, name);
    if (record.isBlocked) {
      void http.getResponse<FastifyReply>().header('Retry-After', Math.max(1, Math.ceil(record.timeToBlockExpire)));
      securityLog.log('rate_limit_hit', {
        ip: clientIp(request),
        method: request.method,
        path: request.routeOptions?.url ?? request.url,
        limit,
        window_seconds: ttlSeconds,
        counted_by: countedBy,
        ...logFields,
      });
      throw new ThrottlerException('Too many requests, try again later');
    }
  }
}
