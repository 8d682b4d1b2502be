import { CanActivate, ExecutionContext, ForbiddenException, Injectable } from '@nestjs/common';
import { clientIp } from '../../common/client-ip';
import { SecurityLogService } from '../../common/security-log.service';
import { AuthenticatedRequest } from './jwt-auth.guard';

export const ADMIN_REQUIRED = 'Admin privileges required';

/** Runs after JwtAuthGuard: lets superusers through, logs and refuses everyone else. */
@Injectable()
export class SuperuserGuard implements CanActivate {
  constructor(private readonly securityLog: SecurityLogService) {}

  canActivate(context: ExecutionContext): boolean {
    this.requireSuperuser(context.switchToHttp().getRequest<AuthenticatedRequest>());
    return true;
  }

  /** The guard's check on a bare request, for a Fastify hook that runs before Nest's guards. */
  requireSuperuser(request: AuthenticatedRequest): void {
    if (request.user?.isSuperuser) {
      return;
    }
    this.securityLog.log('admin_access_denied', {
      ip: clientIp(request),
      user_id: request.user?.id,
      email: request.user?.email,
      method: request.method,
      path: request.url,
    });
    throw new ForbiddenException(ADMIN_REQUIRED);
  }
}
