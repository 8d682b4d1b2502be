import { CanActivate, ExecutionContext, Injectable, UnauthorizedException } from '@nestjs/common';
import { FastifyReply, FastifyRequest } from 'fastify';
import { sameSecret } from '../common/secret-token';
import { AppConfig } from '../config/app-config';
import { InjectConfig } from '../config/config.module';

/** Whether an Authorization header carries `Bearer <expected>`, compared in constant time (sameSecret). */
export function bearerTokenMatches(authorization: string | undefined, expected: string): boolean {
  const match = /^Bearer +(\S+) *$/i.exec(authorization ?? '');
  return match !== null && sameSecret(match[1], expected);
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
