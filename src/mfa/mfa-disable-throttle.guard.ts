import { CanActivate, ExecutionContext, Injectable } from '@nestjs/common';
import { InjectThrottlerStorage, type ThrottlerStorage } from '@nestjs/throttler';
import { normalizeIp } from '@nestjs/throttler/dist/ip';
import { AuthenticatedRequest } from '../auth/guards/jwt-auth.guard';
import { clientIp } from '../common/client-ip';
import { SecurityLogService } from '../common/security-log.service';
import { enforceKeyedLimits } from '../common/throttling/keyed-limits';
import { AppConfig } from '../config/app-config';
import { InjectConfig } from '../config/config.module';

/**
 * `POST /api/auth/mfa/totp/disable` checks a password and a code: each request counts per client IP (IPv6
 * by /64) and per account (the bearer token's user, whichever address it comes from). Over either limit
 * (MFA_DISABLE_RATE_LIMIT per MFA_DISABLE_RATE_TTL): 429 with Retry-After, logged. Runs after JwtAuthGuard,
 * which puts the user on the request, so an unauthenticated request is refused before it counts.
 */
@Injectable()
export class MfaDisableThrottleGuard implements CanActivate {
  constructor(
    @InjectThrottlerStorage() private readonly storage: ThrottlerStorage,
    private readonly securityLog: SecurityLogService,
    @InjectConfig() private readonly config: AppConfig,
  ) {}

  async canActivate(context: ExecutionContext): Promise<boolean> {
    const request = context.switchToHttp().getRequest<AuthenticatedRequest>();
    const { limit, ttlSeconds } = this.config.mfaDisableRateLimit;
    const userId = request.user!.id;
    await enforceKeyedLimits(this.storage, this.securityLog, context, {
      name: 'mfa_disable',
      ttlSeconds,
      counts: [
        { countedBy: 'ip', key: `ip:${normalizeIp(clientIp(request))}`, limit },
        { countedBy: 'account', key: `user:${userId}`, limit },
      ],
      logFields: { user_id: userId },
    });
    return true;
  }
}
