import { CanActivate, ExecutionContext, Injectable } from '@nestjs/common';
import { InjectThrottlerStorage, ThrottlerException, type ThrottlerStorage } from '@nestjs/throttler';
import { normalizeIp } from '@nestjs/throttler/dist/ip';
import { FastifyReply } from 'fastify';
import { AuthenticatedRequest } from '../auth/guards/jwt-auth.guard';
import { clientIp } from '../common/client-ip';
import { SecurityLogService } from '../common/security-log.service';
import { AppConfig } from '../config/app-config';
import { InjectConfig } from '../config/config.module';

const THROTTLER_NAME = 'mfa_disable';

/**
 * `POST /api/auth/mfa/totp/disable` checks a password and a code: each request counts per client IP (IPv6
 * by /64) and per account (the bearer token's user, whichever address it comes from), in the rate-limit
 * storage the other limits use (Redis with REDIS_URL). Over either limit (MFA_DISABLE_RATE_LIMIT per
 * MFA_DISABLE_RATE_TTL): 429 with Retry-After, logged. Runs after JwtAuthGuard, which puts the user on the
 * request, so an unauthenticated request is refused before it counts.
 */
@Injectable()
export class MfaDisableThrottleGuard implements CanActivate {
  constructor(
    @InjectThrottlerStorage() private readonly storage: ThrottlerStorage,
    private readonly securityLog: SecurityLogService,
    @InjectConfig() private readonly config: AppConfig,
  ) {}

  async canActivate(context: ExecutionContext): Promise<boolean> {
    const http = context.switchToHttp();
    const request = http.getRequest<AuthenticatedRequest>();
    const ip = clientIp(request);
    const { limit, ttlSeconds } = this.config.mfaDisableRateLimit;
    const ttlMs = ttlSeconds * 1000;
    const counters = [
      { countedBy: 'ip', key: `ip:${normalizeIp(ip)}` },
      { countedBy: 'account', key: `user:${request.user!.id}` },
    ];
    for (const { countedBy, key } of counters) {
      const record = await this.storage.increment(`${THROTTLER_NAME}:${key}`, ttlMs, limit, ttlMs, THROTTLER_NAME);
      if (record.isBlocked) {
        void http.getResponse<FastifyReply>().header('Retry-After', Math.max(1, Math.ceil(record.timeToBlockExpire)));
        this.securityLog.log('rate_limit_hit', {
          ip,
          method: request.method,
          path: request.routeOptions?.url ?? request.url,
          limit,
          window_seconds: ttlSeconds,
          counted_by: countedBy,
          user_id: request.user!.id,
        });
        throw new ThrottlerException('Too many requests, try again later');
      }
    }
    return true;
  }
}
