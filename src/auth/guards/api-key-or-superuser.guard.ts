import { CanActivate, ExecutionContext, Injectable } from '@nestjs/common';
import { FastifyReply } from 'fastify';
import { AppConfig } from '../../config/app-config';
import { InjectConfig } from '../../config/config.module';
import { sameSecret } from '../../common/secret-token';
import { ApiKeyFailureLimiter } from '../api-key-failure-limiter';
import { AuthenticatedRequest, JwtAuthGuard } from './jwt-auth.guard';
import { SuperuserGuard } from './superuser.guard';

/**
 * Marks a request the door has admitted. A property of the request, not a WeakSet: a WeakSet entry per request
 * cost every check/{ip} the GC's ephemeron bookkeeping.
 */
const ADMITTED = Symbol('admitted by ApiKeyOrSuperuserGuard');

type DoorRequest = AuthenticatedRequest & { [ADMITTED]?: true };

/**
 * The SIP proxy's door: `X-Api-Key` equal to SIP_INGEST_API_KEY, or else a superuser's bearer token.
 * A wrong key is a 401 (it does not fall back to the token), logged and limited per client.
 *
 * The ingest routes run the same check from a Fastify hook before their large body is read
 * (applyRouteBodyLimits); the guard then lets a request that check admitted through without asking again.
 */
@Injectable()
export class ApiKeyOrSuperuserGuard implements CanActivate {
  private readonly expectedKey?: Buffer;

  constructor(
    private readonly jwtGuard: JwtAuthGuard,
    private readonly superuserGuard: SuperuserGuard,
    private readonly failures: ApiKeyFailureLimiter,
    @InjectConfig() config: AppConfig,
  ) {
    this.expectedKey = config.sipIngestApiKey ? Buffer.from(config.sipIngestApiKey, 'utf8') : undefined;
  }

  canActivate(context: ExecutionContext): true | Promise<true> {
    const http = context.switchToHttp();
    const pending = this.admit(http.getRequest<AuthenticatedRequest>(), http.getResponse<FastifyReply>());
    return pending === undefined ? true : pending.then(() => true);
  }

  /**
   * Settles when the caller may use the route: at once (undefined) for the right key, the proxy's every
   * request, else a promise. Throws or rejects with 401, 403 or 429. Reads the headers only.
   */
  admit(request: DoorRequest, reply: FastifyReply): Promise<void> | undefined {
    if (request[ADMITTED]) return undefined;
    const key = request.headers['x-api-key'];
    if (key === undefined) return this.admitSuperuser(request);
    this.failures.refuseIfBlocked(request, reply);
    if (!this.expectedKey || typeof key !== 'string' || !sameSecret(key, this.expectedKey)) {
      return this.failures.reject(request, reply);
    }
    request[ADMITTED] = true;
    return undefined;
  }

  private async admitSuperuser(request: DoorRequest): Promise<void> {
    await this.jwtGuard.authenticate(request);
    await this.superuserGuard.requireSuperuser(request);
    request[ADMITTED] = true;
  }
}
