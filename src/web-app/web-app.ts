import fastifyStatic from '@fastify/static';
import { FastifyInstance, FastifyReply } from 'fastify';
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';

/**
 * The pages of the single-page app. Each answers with index.html, so a bookmark or a reload of a deep link
 * works; every other path keeps its meaning (the API's 404 JSON for an unknown route under /api).
 */
export const WEB_APP_PAGES = [
  '/login',
  '/register',
  '/forgot-password',
  '/reset-password',
  '/verify-email',
  '/accept-invite',
  '/account',
  '/admin',
  '/admin/*',
] as const;

/**
 * The app's own pages run no inline script and no eval, load nothing from elsewhere, and may not be framed.
 * Swagger UI at /docs needs inline code, so helmet's policy for the rest of the process stays as it is.
 */
export const WEB_APP_CONTENT_SECURITY_POLICY = [
  "default-src 'self'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data:",
  "font-src 'self'",
  "connect-src 'self'",
  "object-src 'none'",
  "base-uri 'none'",
  "form-action 'self'",
  "frame-ancestors 'none'",
].join('; ');

/** Where `npm run build` writes the app (`vite build web`): web/dist at the repository's root. */
export function defaultWebAppDirectory(): string {
  let directory = __dirname;
  while (!existsSync(join(directory, 'package.json'))) {
    const parent = dirname(directory);
    if (parent === directory) return join(__dirname, 'web', 'dist');
    directory = parent;
  }
  return join(directory, 'web', 'dist');
}

/**
 * Serves the built web app: hashed assets under /assets/ (cached for a year: their names change with their
 * content) and index.html for the app's pages, with a strict Content-Security-Policy. Returns false, serving
 * nothing, when the app has not been built (`npm run build` builds it).
 */
export function serveWebApp(fastify: FastifyInstance, directory = defaultWebAppDirectory()): boolean {
  const indexFile = join(directory, 'index.html');
  if (!existsSync(indexFile)) return false;
  const indexHtml = readFileSync(indexFile);
  const sendIndex = (reply: FastifyReply) =>
    reply
      .header('Content-Security-Policy', WEB_APP_CONTENT_SECURITY_POLICY)
      .header('Cache-Control', 'no-cache')
      .type('text/html; charset=utf-8')
      .send(indexHtml);

  void fastify.register(async (instance) => {
    await instance.register(fastifyStatic, {
      root: join(directory, 'assets'),
      prefix: '/assets/',
      decorateReply: false,
      index: false,
      immutable: true,
      maxAge: '365d',
    });
    for (const page of WEB_APP_PAGES) {
      instance.get(page, (_request, reply) => sendIndex(reply));
    }
    instance.get('/', (_request, reply) => reply.redirect('/admin'));
  });
  return true;
}
