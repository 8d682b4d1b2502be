import { CanActivate, ExecutionContext, Injectable, UnauthorizedException } from '@nestjs/common';
import { FastifyRequest } from 'fastify';
import { User } from '../../database/entities/user.entity';
import { AccessTokenService } from '../access-token.service';

export type AuthenticatedRequest = FastifyRequest & { user?: User };

export function bearerToken(request: FastifyRequest): string | undefined {
  const header = request.headers.authorization;
  const match = typeof header === 'string' ? /^Bearer\s+(\S+)\s*$/i.exec(header) : null;
  return match?.[1];
}

/** Requires a valid bearer token of an active user, and puts that (freshly loaded) user on the request. */
@Injectable()
export class JwtAuthGuard implements CanActivate {
  constructor(private readonly tokens: AccessTokenService) {}

  async canActivate(context: ExecutionContext): Promise<boolean> {
    const request = context.switchToHttp().getRequest<AuthenticatedRequest>();
    const token = bearerToken(request);
    if (!token) {
      throw new UnauthorizedException('Not authenticated');
    }
    request.user = await this.tokens.authenticate(token);
    return true;
  }
}
