import { resolve } from 'node:path';
import { DatabaseTarget } from '../database/ensure-database';

/** Which database a command wrote to: DATABASE_URL's, or the embedded one, running already or started for it. */
export type DatabaseChoice =
  | { kind: 'url'; target: DatabaseTarget }
  | { kind: 'embedded-running'; dataDir: string }
  | { kind: 'embedded-started'; dataDir: string };

/** The line that tells the operator where the change went (never the password). */
export function describeDatabase(choice: DatabaseChoice): string {
  switch (choice.kind) {
    case 'url': {
      const { database, host, port, user } = choice.target;
      return `Database: "${database}" on ${host}:${port} as "${user}" (DATABASE_URL)`;
    }
    case 'embedded-running':
      return `Database: the embedded PostgreSQL under ${resolve(choice.dataDir)}, which the running service uses`;
    case 'embedded-started':
      return `Database: the embedded PostgreSQL under ${resolve(choice.dataDir)}, started for this command`;
  }
}

/**
 * When the command had to start the embedded database itself, no service was running on that DATA_DIR: a
 * service started elsewhere (another directory, another DATA_DIR, or DATABASE_URL) will not see the change.
 */
export function embeddedDatabaseWarning(choice: DatabaseChoice): string | undefined {
  if (choice.kind !== 'embedded-started') return undefined;
  return (
    `Warning: no service was running on DATA_DIR ${resolve(choice.dataDir)}, so this command started its ` +
    `embedded PostgreSQL. A service started with another DATA_DIR or working directory, or with DATABASE_URL, ` +
    `uses another database and will not see this change. The embedded database is for development: in ` +
    `production set DATABASE_URL (docs/OPERATIONS.md).`
  );
}
