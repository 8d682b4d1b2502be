import { applyDecorators, CanActivate, ExecutionContext, Injectable, UseGuards } from '@nestjs/common';
import { ApiBearerAuth, ApiForbiddenResponse, ApiSecurity, ApiUnauthorizedResponse } from '@nestjs/swagger';
import { FastifyRequest } from 'fastify';
import { ApiKeyOrSuperuserGuard } from '../auth/guards/api-key-or-superuser.guard';
import { API_KEY_SECURITY } from '../common/api-key-security';
import { ErrorResponseDto } from '../common/error-response.dto';
import { BouncersService } from './bouncers.service';

/** The ban export: a bouncer key as `X-Api-Key`, or else what the proxy's routes take (ingest key, superuser). */
@Injectable()
export class BanExportAccessGuard implements CanActivate {
  constructor(
    private readonly bouncers: BouncersService,
    private readonly proxyAccess: ApiKeyOrSuperuserGuard,
  ) {}

  async canActivate(context: ExecutionContext): Promise<boolean> {
    const key = context.switchToHttp().getRequest<FastifyRequest>().headers['x-api-key'];
    if (typeof key === 'string' && (await this.bouncers.authenticate(key)) !== undefined) {
      return true;
    }
    return this.proxyAccess.canActivate(context);
  }
}

/** The ban export's credentials: a bouncer key or the proxy's `X-Api-Key`, or a superuser's bearer token. */
export const BouncerKeyApiKeyOrSuperuser = () =>
  applyDecorators(
    UseGuards(BanExportAccessGuard),
    ApiSecurity(API_KEY_SECURITY),
    ApiBearerAuth(),
    ApiUnauthorizedResponse({ description: 'Missing or wrong key, or no valid token', type: ErrorResponseDto }),
    ApiForbiddenResponse({ description: 'A token that is not a superuser’s', type: ErrorResponseDto }),
  );
