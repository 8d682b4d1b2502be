import { CanActivate, ExecutionContext, Injectable } from '@nestjs/common';
import { FastifyReply } from 'fastify';
import { AppConfig } from '../../config/app-config';
import { InjectConfig } from '../../config/config.module';
import { sameSecret, sha256 } from '../../common/secret-token';
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
  private readonly keyDigest?: Buffer;

  constructor(
    private readonly jwtGuard: JwtAuthGuard,
    private readonly superuserGuard: SuperuserGuard,
    private readonly failures: ApiKeyFailureLimiter,
    @InjectConfig() config: AppConfig,
  ) {
    this.keyDigest = config.sipIngestApiKey ? sha256(config.sipIngestApiKey) : undefined;
  }

  async canActivate(context: ExecutionContext): Promise<boolean> {
    const http = context.switchToHttp();
    await this.admit(http.getRequest<AuthenticatedRequest>(), http.getResponse<FastifyReply>());
    return true;
  }

  /** Returns when the caller may use the route; throws 401, 403 or 429 otherwise. Reads the headers only. */
  async admit(request: DoorRequest, reply: FastifyReply): Promise<void> {
    if (request[ADMITTED]) return;
    const key = request.headers['x-api-key'];
    if (key !== undefined) {
      this.failures.refuseIfBlocked(request, reply);
      if (!this.keyDigest || typeof key !== 'string' || !sameSecret(key, this.keyDigest)) {
        await this.failures.reject(request, reply);
      }
    } else {
      await this.jwtGuard.authenticate(request);
      await this.superuserGuard.requireSuperuser(request);
    }
    request[ADMITTED] = true;
  }
}
