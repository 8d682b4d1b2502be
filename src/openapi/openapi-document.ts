import { INestApplication } from '@nestjs/common';
import { DocumentBuilder, OpenAPIObject, SwaggerModule } from '@nestjs/swagger';
import { API_KEY_SECURITY } from '../common/api-key-security';
import { documentDatabaseUnavailable } from '../common/database-unavailable.openapi';

/**
 * The OpenAPI document of the app's routes: served at /docs-json, and written at build time for the web app's
 * generated client types (export-openapi.ts).
 */
export function createOpenApiDocument(app: INestApplication): OpenAPIObject {
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
  return documentDatabaseUnavailable(document);
}
