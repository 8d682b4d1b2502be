import { CanActivate, ExecutionContext, Injectable, UnauthorizedException } from '@nestjs/common';
import { FastifyRequest } from 'fastify';
import { User } from '../../database/entities/user.entity';
import { AccessTokenService, Authentication } from '../access-token.service';

/** `sessionId`: the session of the bearer token JwtAuthGuard accepted; `tokenExpiresAtMs`: when that token expires. */
export type AuthenticatedRequest = FastifyRequest & { user?: User; sessionId?: string; tokenExpiresAtMs?: number };

export function bearerToken(request: FastifyRequest): string | undefined {
  const header = request.headers.authorization;
  const match = typeof header === 'string' ? /^Bearer\s+(\S+)\s*$/i.exec(header) : null;
  return match?.[1];
}

/**
 * Requires a valid bearer token of an active user and session, and puts that (freshly loaded) user and the
 * session's id on the request.
 */
@Injectable()
export class JwtAuthGuard implements CanActivate {
  constructor(private readonly tokens: AccessTokenService) {}

  canActivate(context: ExecutionContext): true | Promise<true> {
    const pending = this.authenticate(context.switchToHttp().getRequest<AuthenticatedRequest>());
    return pending === undefined ? true : pending.then(() => true);
  }

  /**
   * The guard's check on a bare request, for a Fastify hook that runs before Nest's guards: done at once
   * (undefined) when memory holds the token's state, else a promise of it. Throws or rejects with 401.
   */
  authenticate(request: AuthenticatedRequest): Promise<void> | undefined {
    const token = bearerToken(request);
    if (!token) {
      throw new UnauthorizedException('Not authenticated');
    }
    const known = this.tokens.authenticateFromMemory(token);
    if (known !== undefined) {
      attach(request, known);
      return undefined;
    }
    return this.tokens.authenticateSession(token).then((authentication) => attach(request, authentication));
  }
}

function attach(request: AuthenticatedRequest, { user, sessionId, expiresAtMs }: Authentication): void {
  request.user = user;
  request.sessionId = sessionId;
  request.tokenExpiresAtMs = expiresAtMs;
}
