import type { OpenAPIObject } from '@nestjs/swagger';
import { DATABASE_RETRY_AFTER_SECONDS } from './database-unavailable';

/** The API's own routes; /health documents its 503 itself, /metrics and /docs answer without the database. */
const DATABASE_BACKED_PREFIXES = ['/api/', '/v1/'];

const METHODS = ['get', 'put', 'post', 'delete', 'patch', 'options', 'head'] as const;

/**
 * Adds the 503 that HttpExceptionFilter answers when the database cannot (refused connections, a wait past
 * DB_CONNECT_TIMEOUT_MS or DB_STATEMENT_TIMEOUT_MS) to every operation of the API's routes, all of which read
 * or write the database (or may: a route taking an API key or a token checks the token's user there), once
 * here rather than on each controller. An operation that documents a 503 of its own keeps it.
 */
export function documentDatabaseUnavailable(document: OpenAPIObject): OpenAPIObject {
  for (const [path, item] of Object.entries(document.paths)) {
    if (!DATABASE_BACKED_PREFIXES.some((prefix) => path.startsWith(prefix))) continue;
    for (const method of METHODS) {
      const operation = item[method];
      if (!operation || operation.responses['503']) continue;
      operation.responses['503'] = {
        description: 'The database refuses connections or does not answer in time: try again after Retry-After seconds',
        headers: {
          'Retry-After': {
            description: 'Seconds to wait',
            schema: { type: 'integer', example: DATABASE_RETRY_AFTER_SECONDS },
          },
        },
        content: { 'application/json': { schema: { $ref: '#/components/schemas/ErrorResponseDto' } } },
      };
    }
  }
  return document;
}
