import { CanActivate, ExecutionContext, Injectable, UnauthorizedException } from '@nestjs/common';
import { FastifyRequest } from 'fastify';
import { BouncersService } from './bouncers.service';

/** A request a bouncer key authenticated, with that bouncer's id. */
export type BouncerRequest = FastifyRequest & { bouncerId?: string };

/** CrowdSec's bouncer API: `X-Api-Key` must be an active bouncer key (never the proxy's ingest key). */
@Injectable()
export class BouncerKeyGuard implements CanActivate {
  constructor(private readonly bouncers: BouncersService) {}

  async canActivate(context: ExecutionContext): Promise<boolean> {
    const request = context.switchToHttp().getRequest<BouncerRequest>();
    const key = request.headers['x-api-key'];
    const bouncerId = typeof key === 'string' ? await this.bouncers.authenticate(key) : undefined;
    if (bouncerId === undefined) {
      throw new UnauthorizedException('Invalid API key');
    }
    request.bouncerId = bouncerId;
    return true;
  }
}
