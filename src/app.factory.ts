import cookie from '@fastify/cookie';
import { LoggerService } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { FastifyAdapter, NestFastifyApplication } from '@nestjs/platform-fastify';
import { DocumentBuilder, SwaggerModule } from '@nestjs/swagger';
import { AppModule } from './app.module';
import { API_KEY_SECURITY } from './common/api-key-security';
import { limitBodyDepth } from './common/body-depth';
import { applyRouteBodyLimits } from './common/body-limit';
import { toFastifyTrustProxy } from './common/client-ip';
import { addSecurityHeaders } from './common/security-headers';
import { createValidationPipe } from './common/validation';
import { AppConfig } from './config/app-config';

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
      // Swagger UI at /docs needs its inline bootstrap script and styles.
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
  // Only the web app's refresh cookie (src/sessions/refresh-cookie.ts) is read or set.
  await app.register(cookie);
  applyRouteBodyLimits(fastify);
  limitBodyDepth(fastify);
  // The API speaks JSON only: anything else gets 415 instead of being parsed into a string.
  fastify.removeContentTypeParser('text/plain');
  app.useGlobalPipes(createValidationPipe());
  setUpOpenApi(app);
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

function setUpOpenApi(app: NestFastifyApplication): void {
  const document = SwaggerModule.createDocument(
    app,
    new DocumentBuilder()
      .setTitle('regshield')
      .setDescription(
        'Protects the web registration door (sign-up, login, admin approval) and the SIP registration door ' +
          '(failed REGISTERs, door-knock scans, bans) of a VoIP service.',
      )
      .setVersion('0.1.0')
      .addBearerAuth({ type: 'http', scheme: 'bearer', bearerFormat: 'JWT' })
      .addApiKey({ type: 'apiKey', in: 'header', name: 'X-Api-Key' }, API_KEY_SECURITY)
      .build(),
  );
  SwaggerModule.setup(OPENAPI_PATH, app, document, { jsonDocumentUrl: `${OPENAPI_PATH}-json` });
}
