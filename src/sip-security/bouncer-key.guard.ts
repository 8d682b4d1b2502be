import { CanActivate, ExecutionContext, Injectable } from '@nestjs/common';
import { FastifyReply, FastifyRequest } from 'fastify';
import { ApiKeyFailureLimiter } from '../auth/api-key-failure-limiter';
import { BouncersService } from './bouncers.service';

/** A request a bouncer key authenticated, with that bouncer's id. */
export type BouncerRequest = FastifyRequest & { bouncerId?: string };

/**
 * CrowdSec's bouncer API: `X-Api-Key` must be an active bouncer key (never the proxy's ingest key). A wrong
 * or missing key is refused like a wrong ingest key: 401, logged as `api_key_rejected`, limited per client.
 */
@Injectable()
export class BouncerKeyGuard implements CanActivate {
  constructor(
    private readonly bouncers: BouncersService,
    private readonly failures: ApiKeyFailureLimiter,
  ) {}

  async canActivate(context: ExecutionContext): Promise<boolean> {
    const http = context.switchToHttp();
    const request = http.getRequest<BouncerRequest>();
    const reply = http.getResponse<FastifyReply>();
    this.failures.refuseIfBlocked(request, reply);
    const key = request.headers['x-api-key'];
    const bouncerId = typeof key === 'string' ? await this.bouncers.authenticate(key) : undefined;
    if (bouncerId === undefined) {
      return this.failures.reject(request, reply);
    }
    request.bouncerId = bouncerId;
    return true;
  }
}
