import { CanActivate, ExecutionContext, Injectable } from '@nestjs/common';
import { InjectThrottlerStorage, type ThrottlerStorage } from '@nestjs/throttler';
import { normalizeIp } from '@nestjs/throttler/dist/ip';
import { FastifyRequest } from 'fastify';
import { emailKey } from '../auth/email';
import { clientIp } from '../common/client-ip';
import { sha256 } from '../common/secret-token';
import { SecurityLogService } from '../common/security-log.service';
import { enforceKeyedLimits, KeyedCount } from '../common/throttling/keyed-limits';
import { AppConfig } from '../config/app-config';
import { InjectConfig } from '../config/config.module';

/**
 * The routes that send an e-mail to an address given in the body (forgot password, resend verification):
 * each route counts requests per client IP (IPv6 by /64) and per address, whoever asks. Over either limit:
 * 429 with Retry-After, logged. The per-address count stops one mailbox from being flooded from many
 * addresses; the address is counted by its hash, never stored as it is.
 */
@Injectable()
export class AccountEmailThrottleGuard implements CanActivate {
  constructor(
    @InjectThrottlerStorage() private readonly storage: ThrottlerStorage,
    private readonly securityLog: SecurityLogService,
    @InjectConfig() private readonly config: AppConfig,
  ) {}

  async canActivate(context: ExecutionContext): Promise<boolean> {
    const request = context.switchToHttp().getRequest<FastifyRequest>();
    const { perIp, perEmail, ttlSeconds } = this.config.accountEmail.requestRateLimit;
    const counts: KeyedCount[] = [{ countedBy: 'ip', key: `ip:${normalizeIp(clientIp(request))}`, limit: perIp }];
    const email = (request.body as { email?: unknown } | undefined)?.email;
    if (typeof email === 'string') {
      const digest = sha256(emailKey(email)).toString('hex');
      counts.push({ countedBy: 'email', key: `email:${digest}`, limit: perEmail });
    }
    await enforceKeyedLimits(this.storage, this.securityLog, context, {
      name: `account_email:${request.routeOptions?.url ?? request.url}`,
      ttlSeconds,
      counts,
    });
    return true;
  }
}
