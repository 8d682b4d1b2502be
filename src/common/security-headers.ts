import { FastifyInstance } from 'fastify';
import helmet, { HelmetOptions } from 'helmet';
import { IncomingMessage, ServerResponse } from 'node:http';

/**
 * The headers helmet sets with these options. None depends on the request (no CSP nonces), so they are
 * worked out once, by running helmet's middleware against a response that only records them.
 */
export function securityHeaders(options: HelmetOptions): Record<string, string> {
  const headers: Record<string, string> = {};
  const recorder = {
    setHeader: (name: string, value: string | number | readonly string[]) => {
      headers[name] = Array.isArray(value) ? value.join(', ') : String(value);
    },
    removeHeader: (name: string) => delete headers[name],
  };
  // A bad option throws here, at start (helmet 8 throws rather than passing errors on).
  helmet(options)({} as IncomingMessage, recorder as unknown as ServerResponse, () => undefined);
  return headers;
}

/**
 * Helmet's headers on every answer, set from one precomputed object by one synchronous hook: @fastify/helmet
 * builds helmet's middleware again on every request (re-reading the CSP directives), which cost about a tenth
 * of an authenticated request's CPU time (docs/BENCHMARKS.md).
 */
export function addSecurityHeaders(fastify: FastifyInstance, options: HelmetOptions): void {
  const headers = securityHeaders(options);
  fastify.addHook('onRequest', (_request, reply, done) => {
    void reply.headers(headers);
    done();
  });
}
