import { CanActivate, ExecutionContext, ForbiddenException, Injectable } from '@nestjs/common';
import { clientIp } from '../../common/client-ip';
import { SecurityLogService } from '../../common/security-log.service';
import { AdminFactorPolicy } from '../../passkeys/admin-factor-policy.service';
import { AuthenticatedRequest } from './jwt-auth.guard';

export const ADMIN_REQUIRED = 'Admin privileges required';

/**
 * Runs after JwtAuthGuard: lets superusers through, logs and refuses everyone else; and a superuser past
 * the grace period without the second factor ADMIN_MFA_REQUIRED asks for, with a 403 that says so.
 */
@Injectable()
export class SuperuserGuard implements CanActivate {
  constructor(
    private readonly securityLog: SecurityLogService,
    private readonly adminFactors: AdminFactorPolicy,
  ) {}

  async canActivate(context: ExecutionContext): Promise<boolean> {
    await this.requireSuperuser(context.switchToHttp().getRequest<AuthenticatedRequest>());
    return true;
  }

  /** The guard's check on a bare request, for a Fastify hook that runs before Nest's guards. */
  async requireSuperuser(request: AuthenticatedRequest): Promise<void> {
    const user = request.user;
    const refusal = !user?.isSuperuser ? ADMIN_REQUIRED : await this.adminFactors.refusal(user);
    if (refusal === undefined) return;
    this.securityLog.log('admin_access_denied', {
      ip: clientIp(request),
      user_id: user?.id,
      email: user?.email,
      method: request.method,
      path: request.url,
      ...(refusal === ADMIN_REQUIRED ? {} : { reason: 'second_factor_required' }),
    });
    throw new ForbiddenException(refusal);
  }
}
