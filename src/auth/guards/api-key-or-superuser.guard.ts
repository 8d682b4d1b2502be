import { CanActivate, ExecutionContext, Injectable } from '@nestjs/common';
import { FastifyReply } from 'fastify';
import { AppConfig } from '../../config/app-config';
import { InjectConfig } from '../../config/config.module';
import { sameSecret, sha256 } from '../../common/secret-token';
import { ApiKeyFailureLimiter } from '../api-key-failure-limiter';
import { AuthenticatedRequest, JwtAuthGuard } from './jwt-auth.guard';
import { SuperuserGuard } from './superuser.guard';

/**
 * The SIP proxy's door: `X-Api-Key` equal to SIP_INGEST_API_KEY, or else a superuser's bearer token.
 * A wrong key is a 401 (it does not fall back to the token), logged and limited per client.
 */
@Injectable()
export class ApiKeyOrSuperuserGuard implements CanActivate {
  private readonly keyDigest?: Buffer;

  constructor(
    private readonly jwtGuard: JwtAuthGuard,
    private readonly superuserGuard: SuperuserGuard,
    private readonly failures: ApiKeyFailureLimiter,
    @InjectConfig() config: AppConfig,
  ) {
    this.keyDigest = config.sipIngestApiKey ? sha256(config.sipIngestApiKey) : undefined;
  }

  async canActivate(context: ExecutionContext): Promise<boolean> {
    const http = context.switchToHttp();
    const request = http.getRequest<AuthenticatedRequest>();
    const key = request.headers['x-api-key'];
    if (key !== undefined) {
      const reply = http.getResponse<FastifyReply>();
      this.failures.refuseIfBlocked(request, reply);
      if (this.keyDigest && typeof key === 'string' && sameSecret(key, this.keyDigest)) {
        return true;
      }
      return this.failures.reject(request, reply);
    }
    return (await this.jwtGuard.canActivate(context)) && this.superuserGuard.canActivate(context);
  }
}
