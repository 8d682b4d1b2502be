import { CanActivate, ExecutionContext, Injectable, UnauthorizedException } from '@nestjs/common';
import { createHash, timingSafeEqual } from 'node:crypto';
import { AppConfig } from '../../config/app-config';
import { InjectConfig } from '../../config/config.module';
import { AuthenticatedRequest, JwtAuthGuard } from './jwt-auth.guard';
import { SuperuserGuard } from './superuser.guard';

/**
 * The SIP proxy's door: `X-Api-Key` equal to SIP_INGEST_API_KEY, or else a superuser's bearer token.
 * A wrong key is a 401 (it does not fall back to the token).
 */
@Injectable()
export class ApiKeyOrSuperuserGuard implements CanActivate {
  private readonly keyDigest?: Buffer;

  constructor(
    private readonly jwtGuard: JwtAuthGuard,
    private readonly superuserGuard: SuperuserGuard,
    @InjectConfig() config: AppConfig,
  ) {
    this.keyDigest = config.sipIngestApiKey ? digest(config.sipIngestApiKey) : undefined;
  }

  async canActivate(context: ExecutionContext): Promise<boolean> {
    const request = context.switchToHttp().getRequest<AuthenticatedRequest>();
    const key = request.headers['x-api-key'];
    if (key !== undefined) {
      // Comparing digests keeps the comparison constant-time whatever the lengths.
      if (this.keyDigest && typeof key === 'string' && timingSafeEqual(digest(key), this.keyDigest)) {
        return true;
      }
      throw new UnauthorizedException('Invalid API key');
    }
    return (await this.jwtGuard.canActivate(context)) && this.superuserGuard.canActivate(context);
  }
}

function digest(value: string): Buffer {
  return createHash('sha256').update(value).digest();
}
