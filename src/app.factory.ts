import helmet from '@fastify/helmet';
import { LoggerService } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { FastifyAdapter, NestFastifyApplication } from '@nestjs/platform-fastify';
import { DocumentBuilder, SwaggerModule } from '@nestjs/swagger';
import { AppModule } from './app.module';
import { API_KEY_SECURITY } from './common/api-key-security';
import { createValidationPipe } from './common/validation';
import { AppConfig } from './config/app-config';

const INGEST_ROUTES = new Set(['/api/sip-security/failed-registrations', '/api/sip-security/door-knocks']);
const INGEST_BODY_LIMIT_BYTES = 16 * 1024 * 1024;

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
    // Fastify accepts a hop count too (proxy-addr), though its typings omit it.
    trustProxy: config.trustProxy as string | boolean | string[],
    logger: false,
  });
  const app = await NestFactory.create<NestFastifyApplication>(AppModule.forRoot(config, databaseUrl), adapter, {
    logger,
    // Fastify's own JSON parser is all the API needs; Nest's would add a form parser.
    bodyParser: false,
    // Once shutdown begins (main.ts), new requests get 503 with Connection: close while those in flight finish.
    return503OnClosing: true,
  });
  await app.register(helmet, {
    // Swagger UI at /docs needs its inline bootstrap script and styles.
    contentSecurityPolicy: {
      directives: {
        defaultSrc: ["'self'"],
        styleSrc: ["'self'", "'unsafe-inline'"],
        imgSrc: ["'self'", 'data:'],
        scriptSrc: ["'self'", "'unsafe-inline'"],
      },
    },
  });
  // A batch of 10 000 events from the proxy is far over the 100 KiB every other route takes.
  app.getHttpAdapter().getInstance().addHook('onRoute', (route) => {
    if (INGEST_ROUTES.has(route.url) && route.method === 'POST') {
      route.bodyLimit = INGEST_BODY_LIMIT_BYTES;
    }
  });
  // The API speaks JSON only: anything else gets 415 instead of being parsed into a string.
  app.getHttpAdapter().getInstance().removeContentTypeParser('text/plain');
  app.useGlobalPipes(createValidationPipe());
  setUpOpenApi(app);
  await app.init();
  await app.getHttpAdapter().getInstance().ready();
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
  SwaggerModule.setup('docs', app, document, { jsonDocumentUrl: 'docs-json' });
}
