import { DataSource } from 'typeorm';
import { buildDataSourceOptions } from './data-source-options';

/**
 * Runs the pending migrations at start, on a connection of their own without the service's statement
 * timeout: DB_STATEMENT_TIMEOUT_MS bounds what a request may wait for, while an upgrade that converts a
 * large table (PartitionSipEvents copies every event row in one statement) must be allowed to finish. A
 * migration that fails rolls back alone (one transaction each) and stops the start.
 */
export async function runPendingMigrations(url: string): Promise<void> {
  const dataSource = new DataSource(buildDataSourceOptions(url));
  await dataSource.initialize();
  try {
    await dataSource.runMigrations({ transaction: 'each' });
  } finally {
    await dataSource.destroy();
  }
}
