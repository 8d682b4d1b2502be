import { UnprocessableEntityException } from '@nestjs/common';
import { FastifyInstance, preValidationHookHandler } from 'fastify';

/**
 * No request body of ours nests deeper than an array of events (2 levels); 32 leaves room and still
 * stops a body of thousands of nested objects before class-transformer, which recurses once per level
 * and runs out of stack (a 500 with a stack trace in the log).
 */
export const MAX_BODY_DEPTH = 32;

/** Whether objects and arrays nest deeper than `maxDepth` in `value`; iterative, so any depth is safe. */
export function nestsDeeperThan(value: unknown, maxDepth: number): boolean {
  const pending: Array<{ node: unknown; depth: number }> = [{ node: value, depth: 1 }];
  while (pending.length > 0) {
    const { node, depth } = pending.pop()!;
    if (node === null || typeof node !== 'object') continue;
    if (depth > maxDepth) return true;
    for (const child of Object.values(node)) {
      pending.push({ node: child, depth: depth + 1 });
    }
  }
  return false;
}

/**
 * Refuses a too deeply nested body on every route that can have one, after JSON parsing and before anything
 * else reads it. 422 rather than 400: the JSON is well formed but fits no request of the API, as a shallow
 * object in place of a string (also 422) does not; 400 stays the answer to JSON that does not parse.
 *
 * A hook of the routes, not of the whole server: Fastify reads no body for GET, HEAD or TRACE, and a route with no
 * preValidation hook skips that step, which spares the hottest routes (/me, check/{ip}) a hook that could only
 * ever pass. Must run before the routes are registered (Nest registers its own in app.init()).
 */
export function limitBodyDepth(fastify: FastifyInstance, maxDepth = MAX_BODY_DEPTH): void {
  // Synchronous, with `done`: an async hook costs every request a promise.
  const refuseDeepBody: preValidationHookHandler = (request, _reply, done) => {
    if (request.body !== undefined && nestsDeeperThan(request.body, maxDepth)) {
      done(
        new UnprocessableEntityException([`the request body nests objects or arrays deeper than ${maxDepth} levels`]),
      );
      return;
    }
    done();
  };
  fastify.addHook('onRoute', (route) => {
    if ([route.method].flat().every((method) => BODILESS_METHODS.has(method))) return;
    route.preValidation = [...[route.preValidation ?? []].flat(), refuseDeepBody];
  });
}

/** The methods whose requests Fastify never reads a body for (its own "bodyless" methods). */
const BODILESS_METHODS = new Set(['GET', 'HEAD', 'TRACE']);
