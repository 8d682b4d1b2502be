import { RouteConfig } from '@nestjs/platform-fastify';
import { FastifyInstance, FastifyReply, FastifyRequest, onRequestAsyncHookHandler } from 'fastify';

interface BodyLimitRouteConfig {
  bodyLimit?: number;
}

/**
 * The largest body a handler takes, in bytes, where it differs from the application's limit (the 413
 * threshold). Nest hands a handler's RouteConfig to Fastify, and applyRouteBodyLimits makes it the route's
 * own limit. It is the handler's RouteConfig: a handler needing other Fastify route config too would pass
 * `bodyLimit` in that one RouteConfig.
 */
export const BodyLimit = (bytes: number) => RouteConfig({ bodyLimit: bytes } satisfies BodyLimitRouteConfig);

/**
 * Decides from the request's headers alone whether its caller may send a body over the application's limit;
 * throws the refusal (an HttpException) when not.
 */
export type LargeBodyCallerCheck = (request: FastifyRequest, reply: FastifyReply) => Promise<void> | undefined;

/**
 * Gives each route declared with @BodyLimit its limit; must be added before the routes are registered.
 *
 * A limit above the application's is for a known caller only (the SIP proxy's batches), so such a route
 * first runs `admitCaller` as its onRequest hook, before a byte of the body is read: an unknown caller is
 * refused at once (401 whatever its Content-Length), instead of after its 16 MiB were read and parsed, and
 * no body over the application's limit is ever read for it.
 */
export function applyRouteBodyLimits(
  fastify: FastifyInstance,
  applicationLimit: number,
  admitCaller: LargeBodyCallerCheck,
): void {
  const admitBeforeBody: onRequestAsyncHookHandler = async (request, reply) => {
    try {
      await admitCaller(request, reply);
    } catch (refusal) {
      // The body stays unread; keeping the connection would mean reading (and dropping) all of it first.
      void reply.header('Connection', 'close');
      throw refusal;
    }
  };
  fastify.addHook('onRoute', (route) => {
    const { bodyLimit } = (route.config ?? {}) as BodyLimitRouteConfig;
    if (bodyLimit === undefined) return;
    route.bodyLimit = bodyLimit;
    if (bodyLimit > applicationLimit) {
      route.onRequest = [...[route.onRequest ?? []].flat(), admitBeforeBody];
    }
  });
}
