import { Client } from 'pg';

const DATABASE_MISSING = '3D000';
const DUPLICATE_DATABASE = '42P04';
/** Every role may connect to it on a default installation; CREATE DATABASE needs some database to run in. */
const MAINTENANCE_DATABASE = 'postgres';

/**
 * The database DATABASE_URL names does not exist and could not be created: start-up stops with this one
 * line, instead of TypeORM's retries (ten stack traces over 30 s) ending in the same failure.
 */
export class DatabaseMissingError extends Error {}

/** Where a DATABASE_URL points, without its password: what the CLI prints and error messages name. */
export interface DatabaseTarget {
  host: string;
  port: number;
  user: string;
  database: string;
}

/** The host, port, role and database of a connection string, as the pg driver reads it (defaults included). */
export function databaseTarget(url: string): DatabaseTarget {
  const client = new Client({ connectionString: url });
  return { host: client.host, port: client.port, user: client.user ?? '', database: client.database ?? '' };
}

/**
 * Makes sure the database DATABASE_URL names exists before TypeORM connects: when the server answers that
 * it does not (3D000), creates it with the same role, through the `postgres` maintenance database. A role
 * that may not (or any failure of that step) gives DatabaseMissingError, saying what to run. Any other
 * connection failure is left to TypeORM, which retries (the database may still be starting).
 * Returns whether it created the database.
 */
export async function ensureDatabaseExists(url: string, connectTimeoutMs: number): Promise<boolean> {
  const probe = new Client({ connectionString: url, connectionTimeoutMillis: connectTimeoutMs });
  try {
    await probe.connect();
    return false;
  } catch (error) {
    if (errorCode(error) !== DATABASE_MISSING) return false;
  } finally {
    await probe.end().catch(() => undefined);
  }
  await createDatabase(url, connectTimeoutMs);
  return true;
}

async function createDatabase(url: string, connectTimeoutMs: number): Promise<void> {
  const target = databaseTarget(url);
  const maintenanceUrl = new URL(url);
  maintenanceUrl.pathname = `/${MAINTENANCE_DATABASE}`;
  const admin = new Client({ connectionString: maintenanceUrl.toString(), connectionTimeoutMillis: connectTimeoutMs });
  try {
    await admin.connect();
    await admin.query(`CREATE DATABASE ${admin.escapeIdentifier(target.database)}`);
  } catch (error) {
    // Another instance starting at the same time created it first.
    if (errorCode(error) === DUPLICATE_DATABASE) return;
    throw new DatabaseMissingError(missingDatabaseMessage(target, error));
  } finally {
    await admin.end().catch(() => undefined);
  }
}

export function missingDatabaseMessage(target: DatabaseTarget, cause: unknown): string {
  const { host, port, user, database } = target;
  const reason = cause instanceof Error ? cause.message : String(cause);
  return (
    `Database "${database}" does not exist on ${host}:${port} and role "${user}" could not create it (${reason}): ` +
    `create it as a role that may, e.g. createdb -h ${host} -p ${port} -U postgres -O ${user} ${database}, ` +
    `or point DATABASE_URL at an existing database`
  );
}

function errorCode(error: unknown): string | undefined {
  return typeof error === 'object' && error !== null && 'code' in error ? String(error.code) : undefined;
}
