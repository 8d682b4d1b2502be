import { CanActivate, ExecutionContext, ForbiddenException, Injectable, UnauthorizedException } from '@nestjs/common';
import { clientIp } from '../../common/client-ip';
import { SecurityLogService } from '../../common/security-log.service';
import { AppConfig } from '../../config/app-config';
import { InjectConfig } from '../../config/config.module';
import { AccessTokenService } from '../access-token.service';
import { emailKey } from '../email';
import { AuthenticatedRequest, bearerToken } from './jwt-auth.guard';
import { ADMIN_REQUIRED, SuperuserGuard } from './superuser.guard';

/** Longer text is no e-mail address (RegisterDto refuses it) and is not copied into the log. */
const MAX_LOGGED_EMAIL_LENGTH = 254;

/**
 * REGISTRATION_MODE `admin_only`: sign-up needs a superuser's bearer token (401 without a valid one, 403
 * for another user's, or for a superuser ADMIN_MFA_REQUIRED refuses the admin routes), whose user is put on
 * the request as the actor. Other modes let everyone through.
 */
@Injectable()
export class RegistrationModeGuard implements CanActivate {
  constructor(
    private readonly tokens: AccessTokenService,
    private readonly securityLog: SecurityLogService,
    @InjectConfig() private readonly config: AppConfig,
    private readonly superuserGuard: SuperuserGuard,
  ) {}

  async canActivate(context: ExecutionContext): Promise<boolean> {
    const mode = this.config.registrationMode;
    if (mode !== 'admin_only') {
      return true;
    }
    const request = context.switchToHttp().getRequest<AuthenticatedRequest>();
    const ip = clientIp(request);
    // A refused request is still an attempt, logged as the service logs the ones that reach it.
    const logAttempt = () =>
      this.securityLog.log('registration_attempt', { ip, email: requestedEmail(request.body), mode });
    const token = bearerToken(request);
    if (!token) {
      logAttempt();
      this.securityLog.log('registration_rejected', { ip, reason: 'admin_token_required' });
      throw new UnauthorizedException('Registration requires an administrator token');
    }
    const user = await this.tokens.authenticate(token).catch((error: unknown) => {
      logAttempt();
      throw error;
    });
    if (!user.isSuperuser) {
      logAttempt();
      // The fields of every admin_access_denied line (SuperuserGuard's), so one parser reads them all.
      this.securityLog.log('admin_access_denied', {
        ip,
        user_id: user.id,
        email: user.email,
        method: request.method,
        path: request.url,
      });
      throw new ForbiddenException(ADMIN_REQUIRED);
    }
    request.user = user;
    // A superuser shut out of the admin routes by ADMIN_MFA_REQUIRED is shut out of this one too.
    await this.superuserGuard.requireSuperuser(request).catch((error: unknown) => {
      logAttempt();
      throw error;
    });
    return true;
  }
}

/** The e-mail a sign-up body asks for, before validation (guards run first). */
function requestedEmail(body: unknown): string | undefined {
  const email = typeof body === 'object' && body !== null ? (body as Record<string, unknown>).email : undefined;
  return typeof email === 'string' && email.length <= MAX_LOGGED_EMAIL_LENGTH ? emailKey(email) : undefined;
}
