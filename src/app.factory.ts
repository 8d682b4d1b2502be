import cookie from '@fastify/cookie';
import { LoggerService } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { FastifyAdapter, NestFastifyApplication } from '@nestjs/platform-fastify';
import { SwaggerModule } from '@nestjs/swagger';
import { AppModule } from './app.module';
import { runPendingMigrations } from './database/run-migrations';
import { ApiKeyOrSuperuserGuard } from './auth/guards/api-key-or-superuser.guard';
import { limitBodyDepth } from './common/body-depth';
import { applyRouteBodyLimits } from './common/body-limit';
import { toFastifyTrustProxy } from './common/client-ip';
import { addSecurityHeaders } from './common/security-headers';
import { createValidationPipe } from './common/validation';
import { AppConfig } from './config/app-config';
import { createOpenApiDocument } from './openapi/openapi-document';
import { serveWebApp } from './web-app/web-app';

/** Swagger UI's pages (and the OpenAPI document at `/docs-json`). */
const OPENAPI_PATH = 'docs';

/**
 * Builds the HTTP application exactly as it runs in production; the e2e tests use this too, so what they
 * test is what ships. `config.jwtSecret` must already be resolved (see resolveJwtSecret).
 */
export async function createApp(
  config: AppConfig,
  databaseUrl: string,
  logger: LoggerService | false,
): Promise<NestFastifyApplication> {
  await runPendingMigrations(databaseUrl);
  const adapter = new FastifyAdapter({
    bodyLimit: config.bodyLimitBytes,
    trustProxy: toFastifyTrustProxy(config.trustProxy),
    logger: false,
  });
  const app = await NestFactory.create<NestFastifyApplication>(AppModule.forRoot(config, databaseUrl), adapter, {
    logger,
    // Fastify's own JSON parser is all the API needs; Nest's would add a form parser.
    bodyParser: false,
    // Once shutdown begins (main.ts), new requests get 503 with Connection: close while those in flight finish.
    return503OnClosing: true,
  });
  const fastify = app.getHttpAdapter().getInstance();
  addSecurityHeaders(
    fastify,
    {
      // Swagger UI at /docs needs its inline bootstrap script and styles; the web app's pages get a strict
      // policy of their own (src/web-app/web-app.ts).
      contentSecurityPolicy: {
        directives: {
          defaultSrc: ["'self'"],
          styleSrc: ["'self'", "'unsafe-inline'"],
          imgSrc: ["'self'", 'data:'],
          scriptSrc: ["'self'", "'unsafe-inline'"],
        },
      },
    },
    `/${OPENAPI_PATH}`,
  );
  // Only the web app's refresh cookie (src/sessions/refresh-cookie.ts) and the device cookie
  // (src/devices/device-cookie.ts) are read or set.
  await app.register(cookie);
  const proxyDoor = app.get(ApiKeyOrSuperuserGuard, { strict: false });
  applyRouteBodyLimits(fastify, config.bodyLimitBytes, (request, reply) => proxyDoor.admit(request, reply));
  limitBodyDepth(fastify);
  // The API speaks JSON only: anything else gets 415 instead of being parsed into a string.
  fastify.removeContentTypeParser('text/plain');
  app.useGlobalPipes(createValidationPipe());
  SwaggerModule.setup(OPENAPI_PATH, app, createOpenApiDocument(app), { jsonDocumentUrl: `${OPENAPI_PATH}-json` });
  if (!serveWebApp(fastify) && logger) {
    logger.warn('The web app is not built (web/dist is missing): run npm run build to serve it');
  }
  try {
    await app.init();
    await fastify.ready();
  } catch (error) {
    // A module that started before another failed (the ban index's listener, its reload timer) must not
    // outlive the failed start.
    await app.close().catch(() => undefined);
    throw error;
  }
  return app;
}
