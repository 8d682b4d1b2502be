import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { EmbeddedDatabase } from '../../src/database/embedded-database';

declare global {
  var __EMBEDDED_TEST_DATABASE__: EmbeddedDatabase | undefined;
}

/**
 * The tests' PostgreSQL server: DATABASE_URL when set, otherwise an embedded one, fresh for this run.
 * Each test file then creates its own database on it (see test-database.ts).
 */
export default async function globalSetup(): Promise<void> {
  if (process.env.DATABASE_URL) {
    process.env.TEST_SERVER_URL = process.env.DATABASE_URL;
    return;
  }
  const dataDir = mkdtempSync(join(tmpdir(), 'regshield-test-'));
  const embedded = new EmbeddedDatabase(dataDir, { debug: () => undefined, error: (m) => console.error(m) });
  process.env.TEST_SERVER_URL = await embedded.start();
  globalThis.__EMBEDDED_TEST_DATABASE__ = embedded;
}
