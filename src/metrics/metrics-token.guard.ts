import { CanActivate, ExecutionContext, Injectable, UnauthorizedException } from '@nestjs/common';
import { createHash, timingSafeEqual } from 'node:crypto';
import { FastifyReply, FastifyRequest } from 'fastify';
import { AppConfig } from '../config/app-config';
import { InjectConfig } from '../config/config.module';

const sha256 = (text: string) => createHash('sha256').update(text).digest();

/**
 * Whether an Authorization header carries `Bearer <expected>`. Both sides are hashed first: equal-length
 * digests let timingSafeEqual compare in constant time without leaking the token's length.
 */
export function bearerTokenMatches(authorization: string | undefined, expected: string): boolean {
  const match = /^Bearer +(\S+) *$/i.exec(authorization ?? '');
  return match !== null && timingSafeEqual(sha256(match[1]), sha256(expected));
}

/** METRICS_TOKEN set: `GET /metrics` needs it as a bearer token. Unset: the route is open. */
@Injectable()
export class MetricsTokenGuard implements CanActivate {
  constructor(@InjectConfig() private readonly config: AppConfig) {}

  canActivate(context: ExecutionContext): boolean {
    const expected = this.config.metrics.token;
    if (expected === undefined) return true;
    const http = context.switchToHttp();
    if (bearerTokenMatches(http.getRequest<FastifyRequest>().headers.authorization, expected)) return true;
    void http.getResponse<FastifyReply>().header('WWW-Authenticate', 'Bearer realm="metrics"');
    throw new UnauthorizedException('Invalid or missing metrics token');
  }
}
