import 'reflect-metadata';
import { ConsoleLogger } from '@nestjs/common';
import { NestFastifyApplication } from '@nestjs/platform-fastify';
import { createApp } from './app.factory';
import { resolveJwtSecret } from './auth/jwt-secret';
import { HttpDrain } from './common/http-drain';
import { SecurityLogService } from './common/security-log.service';
import { ShutdownState } from './common/shutdown-state';
import { AppConfig, ConfigValidationError, loadConfig } from './config/app-config';
import { loadEnvFileIfPresent } from './config/env-file';
import { EmbeddedDatabase } from './database/embedded-database';
import { databaseTarget, ensureDatabaseExists } from './database/ensure-database';
import { errorMessage } from './common/error-message';

const SHUTDOWN_SIGNALS = ['SIGINT', 'SIGTERM', 'SIGHUP'] as const;

async function main(): Promise<void> {
  // The shutdown below stops the embedded database itself, once the requests in flight are answered.
  EmbeddedDatabase.leaveShutdownSignalsToCaller();
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
        warn: (message) => logger.warn(message, 'EmbeddedPostgres'),
        error: (message) => logger.error(message, 'EmbeddedPostgres'),
      });
  if (config.databaseUrl && (await ensureDatabaseExists(config.databaseUrl, config.databaseTimeouts.connectMs))) {
    const { database, host, port } = databaseTarget(config.databaseUrl);
    logger.log(`Created the database "${database}" on ${host}:${port}, which DATABASE_URL names`);
  }
  const databaseUrl = config.databaseUrl ?? (await embedded!.start());
  if (embedded) logger.log(`Embedded PostgreSQL started under ${config.dataDir}`, 'EmbeddedPostgres');

  let app: NestFastifyApplication;
  let drain: HttpDrain;
  try {
    app = await createApp(config, databaseUrl, logger);
    drain = new HttpDrain(app.getHttpServer());
    await app.listen({ port: config.port, host: '0.0.0.0' });
  } catch (error) {
    await embedded?.stop();
    throw error;
  }
  logger.log(`Listening on port ${config.port}; API documentation at /docs`);

  // Dependency order: first a delay in which /health fails while everything is still served
  // (SHUTDOWN_DRAIN_DELAY_MS, so a load balancer moves new requests away); then HTTP (requests in flight
  // finish, new ones get 503, at most SHUTDOWN_TIMEOUT_MS before the rest is cut), then Nest stops the ban engine and the pool, then the security log closes
  // (every ban committed until then is in it), and the embedded database stops last.
  const securityLog = app.get(SecurityLogService);
  let shuttingDown = false;
  const shutdown = async (signal: string) => {
    if (shuttingDown) return;
    shuttingDown = true;
    logger.log(`${signal} received: draining ${drain.openConnections} connections, then shutting down`);
    let code = 0;
    try {
      app.get(ShutdownState).beginDraining();
      await new Promise((resolve) => setTimeout(resolve, config.shutdownDrainDelayMs));
      app.getHttpAdapter().beforeClose?.();
      await drain.drain(config.shutdownTimeoutMs);
      await app.close();
    } catch (error) {
      code = 1;
      logger.error(`Shutdown failed: ${errorMessage(error)}`);
    } finally {
      securityLog.close();
      await embedded?.stop();
    }
    process.exit(code);
  };
  for (const signal of SHUTDOWN_SIGNALS) {
    process.on(signal, () => void shutdown(signal));
  }
}

function levelsFrom(level: string): Array<'fatal' | 'error' | 'warn' | 'log' | 'debug' | 'verbose'> {
  const order = ['fatal', 'error', 'warn', 'log', 'debug', 'verbose'] as const;
  const index = { fatal: 0, error: 1, warn: 2, info: 3, debug: 4, trace: 5 }[level] ?? 3;
  return order.slice(0, index + 1);
}

main().catch((error: unknown) => {
  process.stderr.write(`regshield failed to start: ${errorMessage(error)}\n`);
  process.exit(1);
});
