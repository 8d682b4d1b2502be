import { RouteConfig } from '@nestjs/platform-fastify';
import { FastifyInstance } from 'fastify';

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

/** Gives each route declared with @BodyLimit its limit; must be added before the routes are registered. */
export function applyRouteBodyLimits(fastify: FastifyInstance): void {
  fastify.addHook('onRoute', (route) => {
    const { bodyLimit } = (route.config ?? {}) as BodyLimitRouteConfig;
    if (bodyLimit !== undefined) {
      route.bodyLimit = bodyLimit;
    }
  });
}
