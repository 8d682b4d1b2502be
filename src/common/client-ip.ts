import { createParamDecorator, ExecutionContext } from '@nestjs/common';
import { FastifyRequest } from 'fastify';
import { normalizeIp } from './cidr';

/**
 * The client's address as the rate limits and the security log see it. Fastify has already applied
 * TRUST_PROXY: without it `request.ip` is the socket peer and X-Forwarded-For is ignored.
 */
export function clientIp(request: Pick<FastifyRequest, 'ip'>): string {
  try {
    return normalizeIp(request.ip);
  } catch {
    return request.ip;
  }
}

/** The request's client address (see clientIp) as a handler parameter. */
export const ClientIp = createParamDecorator((_: unknown, context: ExecutionContext): string =>
  clientIp(context.switchToHttp().getRequest<FastifyRequest>()),
);
