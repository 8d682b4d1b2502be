import { CanActivate, ExecutionContext, Injectable } from '@nestjs/common';
import { InjectThrottlerStorage, ThrottlerException, type ThrottlerStorage } from '@nestjs/throttler';
import { normalizeIp } from '@nestjs/throttler/dist/ip';
import { FastifyReply, FastifyRequest } from 'fastify';
import { emailKey } from '../auth/email';
import { clientIp } from '../common/client-ip';
import { sha256 } from '../common/secret-token';
import { SecurityLogService } from '../common/security-log.service';
import { AppConfig } from '../config/app-config';
import { InjectConfig } from '../config/config.module';

/**
 * The routes that send an e-mail to an address given in the body (forgot password, resend verification):
 * each route counts requests per client IP (IPv6 by /64) and per address, whoever asks, in the rate-limit
 * storage the other limits use (Redis with REDIS_URL, so every instance counts together). Over either
 * limit: 429 with Retry-After, logged. The per-address count stops one mailbox from being flooded from
 * many addresses; the address is counted by its hash, never stored as it is.
 */
@Injectable()
export class AccountEmailThrottleGuard implements CanActivate {
  constructor(
    @InjectThrottlerStorage() private readonly storage: ThrottlerStorage,
    private readonly securityLog: SecurityLogService,
    @InjectConfig() private readonly config: AppConfig,
  ) {}

  async canActivate(context: ExecutionContext): Promise<boolean> {
    const http = context.switchToHttp();
    const request = http.getRequest<FastifyRequest>();
    const route = request.routeOptions?.url ?? request.url;
    const ip = clientIp(request);
    const { perIp, perEmail, ttlSeconds } = this.config.accountEmail.requestRateLimit;
    const ttlMs = ttlSeconds * 1000;
    const counters: Array<{ key: string; limit: number }> = [{ key: `ip:${normalizeIp(ip)}`, limit: perIp }];
    const email = (request.body as { email?: unknown } | undefined)?.email;
    if (typeof email === 'string') {
      const digest = sha256(emailKey(email)).toString('hex');
      counters.push({ key: `email:${digest}`, limit: perEmail });
    }
    for (const { key, limit } of counters) {
      const name = `account_email:${route}`;
      const record = await this.storage.increment(`${name}:${key}`, ttlMs, limit, ttlMs, name);
      if (record.isBlocked) {
        void http.getResponse<FastifyReply>().header('Retry-After', Math.max(1, Math.ceil(record.timeToBlockExpire)));
        this.securityLog.log('rate_limit_hit', {
          ip,
          method: request.method,
          path: route,
          limit,
          window_seconds: ttlSeconds,
          counted_by: key.startsWith('ip:') ? 'ip' : 'email',
        });
        throw new ThrottlerException('Too many requests, try again later');
      }
    }
    return true;
  }
}
