import { FastifyInstance } from 'fastify';
import helmet, { HelmetOptions } from 'helmet';
import { IncomingMessage, ServerResponse } from 'node:http';

/**
 * Of helmet's headers, those an answer that is no page (the API's JSON) needs, as the OWASP REST Security
 * Cheat Sheet lists them. The others act only on documents a browser renders (Cross-Origin-Opener-Policy,
 * Origin-Agent-Cluster, X-DNS-Prefetch-Control) or on retired clients (IE8's X-Download-Options, Flash's
 * X-Permitted-Cross-Domain-Policies, the XSS auditor that X-XSS-Protection: 0 turns off).
 */
export const API_SECURITY_HEADERS = [
  'Content-Security-Policy',
  'Strict-Transport-Security',
  'X-Content-Type-Options',
  'X-Frame-Options',
  'Referrer-Policy',
  'Cross-Origin-Resource-Policy',
];

/**
 * The policy of every answer that is no page: a JSON body loads nothing and is framed by no one (the OWASP
 * REST Security Cheat Sheet). Swagger UI's pages keep the policy they need; the web app's pages set their own.
 * Short, too: the page policy was most of an API answer's header bytes, which every client parses.
 */
export const API_CONTENT_SECURITY_POLICY = "default-src 'none'; frame-ancestors 'none'";

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
 * Helmet's headers, worked out once and set by one synchronous hook: all of them under `documentsPrefix`
 * (Swagger UI's pages), the API's subset (API_SECURITY_HEADERS) on every other answer. @fastify/helmet built
 * helmet's middleware again for every request and set every header on JSON too, which together cost about a
 * fifth of an authenticated request's CPU time (docs/BENCHMARKS.md).
 */
export function addSecurityHeaders(fastify: FastifyInstance, options: HelmetOptions, documentsPrefix: string): void {
  // In lower case, as Fastify stores header names: it then finds each name as it is instead of lower-casing a
  // new copy of it on every request.
  const all = Object.fromEntries(
    Object.entries(securityHeaders(options)).map(([name, value]) => [name.toLowerCase(), value]),
  );
  const apiNames = API_SECURITY_HEADERS.map((name) => name.toLowerCase());
  const api = {
    ...Object.fromEntries(Object.entries(all).filter(([name]) => apiNames.includes(name))),
    'content-security-policy': API_CONTENT_SECURITY_POLICY,
  };
  fastify.addHook('onRequest', (request, reply, done) => {
    void reply.headers(request.url.startsWith(documentsPrefix) ? all : api);
    done();
  });
}
