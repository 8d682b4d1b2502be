import { randomBytes } from 'node:crypto';
import { Client } from 'pg';
import { DataSource } from 'typeorm';
import { buildDataSourceOptions, MIGRATIONS } from '../../src/database/data-source-options';

function serverUrl(): string {
  const url = process.env.TEST_SERVER_URL;
  if (!url) throw new Error('TEST_SERVER_URL is not set: run the e2e tests through jest (global-setup.ts)');
  return url;
}

function withDatabase(url: string, database: string): string {
  const parsed = new URL(url);
  parsed.pathname = `/${database}`;
  return parsed.toString();
}

/** A new, empty database on the test server; the app's migrations fill it. */
export async function createTestDatabase(): Promise<{ url: string; drop(): Promise<void> }> {
  const name = `regshield_test_${randomBytes(6).toString('hex')}`;
  const admin = new Client({ connectionString: serverUrl() });
  await admin.connect();
  await admin.query(`CREATE DATABASE ${name}`);
  await admin.end();
  return {
    url: withDatabase(serverUrl(), name),
    drop: async () => {
      const client = new Client({ connectionString: serverUrl() });
      await client.connect();
      await client.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      await client.end();
    },
  };
}

/** Drops a role a test created on the test server (roles belong to the server, not to the test's database). */
export async function dropTestRole(role: string): Promise<void> {
  const admin = new Client({ connectionString: serverUrl() });
  await admin.connect();
  try {
    await admin.query(`DROP ROLE IF EXISTS ${role}`);
  } finally {
    await admin.end();
  }
}

/** Runs `work` (migrations up, or the last one reverted) with `migrations` on the database, as start-up and the CLI do. */
export async function withMigrations(
  url: string,
  work: (dataSource: DataSource) => Promise<unknown>,
  migrations = MIGRATIONS,
): Promise<void> {
  const dataSource = new DataSource({
    ...buildDataSourceOptions(url),
    migrations,
    migrationsRun: false,
    logging: false,
  });
  await dataSource.initialize();
  try {
    await work(dataSource);
  } finally {
    await dataSource.destroy();
  }
}

/** Runs `migrations` (all of them unless given) on the database, each in its own transaction, as start-up does. */
export function migrate(url: string, migrations = MIGRATIONS): Promise<void> {
  return withMigrations(url, (dataSource) => dataSource.runMigrations({ transaction: 'each' }), migrations);
}

/**
 * A new database with only `migrations` run on it (a schema as an older release left it, for a migration's test),
 * and a client connected to it.
 */
export async function createDatabaseWith(
  migrations: typeof MIGRATIONS,
): Promise<{ database: { url: string; drop(): Promise<void> }; db: Client }> {
  const database = await createTestDatabase();
  await migrate(database.url, migrations);
  const db = new Client({ connectionString: database.url });
  await db.connect();
  return { database, db };
}
