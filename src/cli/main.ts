import 'reflect-metadata';
import { NestFactory } from '@nestjs/core';
import { parseArgs } from 'node:util';
import { AdminProvisioningService } from '../auth/admin-provisioning.service';
import { AppConfig, loadConfig } from '../config/app-config';
import { loadEnvFileIfPresent } from '../config/env-file';
import { EmbeddedDatabase } from '../database/embedded-database';
import { databaseTarget, ensureDatabaseExists } from '../database/ensure-database';
import { runPendingMigrations } from '../database/run-migrations';
import { CliModule } from './cli.module';
import { DatabaseChoice, describeDatabase, embeddedDatabaseWarning } from './database-choice';
import { readHiddenLine } from './prompt';
import { errorMessage } from '../common/error-message';

const USAGE = `Usage: npm run cli -- create-admin --email EMAIL [--name "Full Name"]

Creates an active superuser, or promotes and activates the user with that e-mail.
The password is read from REGSHIELD_ADMIN_PASSWORD or asked for on the terminal (never from the
command line, where other users could read it in the process list). Uses DATABASE_URL, or the embedded
database under DATA_DIR (the running app's, or started for the command); like the service, it reads
.env from the working directory, a variable set in the environment winning over the file.
It prints which database it wrote to. Runs the built service (npm run build, or npm run cli, builds it).`;

/** The database to write to, and the embedded server this process started (to stop when done), if any. */
async function openDatabase(
  config: AppConfig,
): Promise<{ url: string; choice: DatabaseChoice; embedded?: EmbeddedDatabase }> {
  if (config.databaseUrl) {
    const target = databaseTarget(config.databaseUrl);
    if (await ensureDatabaseExists(config.databaseUrl, config.databaseTimeouts.connectMs)) {
      process.stdout.write(`Created the database "${target.database}" on ${target.host}:${target.port}\n`);
    }
    return { url: config.databaseUrl, choice: { kind: 'url', target } };
  }
  const embedded = new EmbeddedDatabase(config.dataDir, { debug: () => undefined, error: () => undefined });
  const runningUrl = await embedded.runningUrl();
  if (runningUrl) {
    return { url: runningUrl, choice: { kind: 'embedded-running', dataDir: config.dataDir } };
  }
  const url = await embedded.start();
  return { url, choice: { kind: 'embedded-started', dataDir: config.dataDir }, embedded };
}

async function main(): Promise<number> {
  const { positionals, values } = parseArgs({
    allowPositionals: true,
    options: { email: { type: 'string' }, name: { type: 'string' }, help: { type: 'boolean' } },
  });
  if (values.help || positionals[0] !== 'create-admin' || !values.email) {
    process.stderr.write(`${USAGE}\n`);
    return values.help ? 0 : 2;
  }
  // The same settings as the service started from this directory: its `.env` too, the environment winning.
  loadEnvFileIfPresent();
  // The CLI never creates the ADMIN_EMAIL user itself: that stays the app's start-up job.
  const config = loadConfig({ ...process.env, ADMIN_EMAIL: undefined, ADMIN_PASSWORD: undefined, LOG_LEVEL: 'warn' });
  const database = await openDatabase(config);
  const warning = embeddedDatabaseWarning(database.choice);
  if (warning) process.stderr.write(`${warning}\n`);

  try {
    // A failure (the database unreachable, a migration refused) reaches the one line main() prints.
    await runPendingMigrations(database.url);
    const context = await NestFactory.createApplicationContext(CliModule.forRoot(config, database.url), {
      logger: false,
      abortOnError: false,
    });
    try {
      const provisioning = context.get(AdminProvisioningService);
      const password = (await provisioning.userExists(values.email))
        ? undefined
        : (process.env.REGSHIELD_ADMIN_PASSWORD ?? (await readHiddenLine('Password for the new admin: ')));
      const user = await provisioning.createOrPromoteSuperuser(values.email, password, values.name ?? 'Administrator');
      process.stdout.write(`${user.email} is an active superuser (id ${user.id})\n`);
      process.stdout.write(`${describeDatabase(database.choice)}\n`);
      return 0;
    } finally {
      await context.close();
    }
  } finally {
    await database.embedded?.stop();
  }
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    process.stderr.write(`${errorMessage(error)}\n`);
    process.exit(1);
  },
);
