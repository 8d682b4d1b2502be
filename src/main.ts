import 'reflect-metadata';
import { ConsoleLogger } from '@nestjs/common';
import { createApp } from './app.factory';
import { resolveJwtSecret } from './auth/jwt-secret';
import { AppConfig, ConfigValidationError, loadConfig } from './config/app-config';
import { loadEnvFileIfPresent } from './config/env-file';
import { EmbeddedDatabase } from './database/embedded-database';

async function main(): Promise<void> {
  const logger = new ConsoleLogger('regshield', { json: true });
  let config: AppConfig;
  try {
    loadEnvFileIfPresent();
    config = loadConfig();
  } catch (error) {
    if (error instanceof ConfigValidationError) {
      process.stderr.write(`${error.message}\n`);
      process.exit(1);
    }
    throw error;
  }
  logger.setLogLevels(config.logLevel === 'silent' ? [] : levelsFrom(config.logLevel));
  config = { ...config, jwtSecret: await resolveJwtSecret(config, (message) => logger.warn(message)) };

  const embedded = config.databaseUrl
    ? undefined
    : new EmbeddedDatabase(config.dataDir, {
        debug: (message) => logger.debug(message, 'EmbeddedPostgres'),
        error: (message) => logger.error(message, 'EmbeddedPostgres'),
      });
  const databaseUrl = config.databaseUrl ?? (await embedded!.start());
  if (embedded) logger.log(`Embedded PostgreSQL started under ${config.dataDir}`, 'EmbeddedPostgres');

  let app;
  try {
    app = await createApp(config, databaseUrl, logger);
    await app.listen({ port: config.port, host: '0.0.0.0' });
  } catch (error) {
    await embedded?.stop();
    throw error;
  }
  logger.log(`Listening on port ${config.port}; API documentation at /docs`);

  // Graceful shutdown: stop taking requests, let Nest close its modules, then stop the embedded database.
  const shutdown = async (signal: string) => {
    logger.log(`${signal} received, shutting down`);
    try {
      await app.close();
    } finally {
      await embedded?.stop();
    }
    process.exit(0);
  };
  process.once('SIGINT', () => void shutdown('SIGINT'));
  process.once('SIGTERM', () => void shutdown('SIGTERM'));
}

function levelsFrom(level: string): Array<'fatal' | 'error' | 'warn' | 'log' | 'debug' | 'verbose'> {
  const order = ['fatal', 'error', 'warn', 'log', 'debug', 'verbose'] as const;
  const index = { fatal: 0, error: 1, warn: 2, info: 3, debug: 4, trace: 5 }[level] ?? 3;
  return order.slice(0, index + 1);
}

main().catch((error: unknown) => {
  process.stderr.write(`regshield failed to start: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
});
