import 'reflect-metadata';
import { NestFactory } from '@nestjs/core';
import { FastifyAdapter } from '@nestjs/platform-fastify';
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { AppModule } from '../app.module';
import { loadConfig } from '../config/app-config';
import { createOpenApiDocument } from './openapi-document';
import { errorMessage } from '../common/error-message';

/**
 * Writes the OpenAPI document to the file named by the first argument, from the app's code alone: Nest's
 * preview mode reads the modules and controllers without creating a provider, so nothing connects anywhere.
 * `npm run build` generates the web app's client types from it.
 */
async function main(): Promise<void> {
  const target = process.argv[2];
  if (!target) throw new Error('usage: export-openapi <file.json>');
  const placeholderUrl = 'postgresql://openapi-export@127.0.0.1:1/none';
  const config = loadConfig({ NODE_ENV: 'development', DATABASE_URL: placeholderUrl, LOG_LEVEL: 'silent' });
  const app = await NestFactory.create(AppModule.forRoot(config, placeholderUrl), new FastifyAdapter(), {
    preview: true,
    logger: false,
  });
  mkdirSync(dirname(target), { recursive: true });
  writeFileSync(target, `${JSON.stringify(createOpenApiDocument(app), null, 2)}\n`);
  await app.close();
}

main().catch((error: unknown) => {
  process.stderr.write(`export-openapi failed: ${errorMessage(error)}\n`);
  process.exit(1);
});
