import { Client } from 'pg';
import { DataSource } from 'typeorm';
import { buildDataSourceOptions, MIGRATIONS } from '../../src/database/data-source-options';
import { PartitionSipEvents1764000007400 } from '../../src/database/migrations/1764000007400-PartitionSipEvents';
import { startTestApp, TestApp } from '../support/test-app';
import { createTestDatabase } from '../support/test-database';
import { sleep } from '../support/wait';

/**
 * The migrations run at start are an upgrade, not a request: DB_STATEMENT_TIMEOUT_MS must not cut them. A
 * migration made to wait longer than that timeout (here for a lock another session holds, as a long copy
 * would take long) still completes and the service starts.
 */
describe('Migrations at start (real PostgreSQL)', () => {
  jest.setTimeout(120_000);
  let database: { url: string; drop(): Promise<void> };
  let t: TestApp | undefined;

  beforeAll(async () => {
    database = await createTestDatabase();
    const before = MIGRATIONS.filter((migration) => migration !== PartitionSipEvents1764000007400).slice(
      0,
      MIGRATIONS.indexOf(PartitionSipEvents1764000007400),
    );
    const dataSource = new DataSource({ ...buildDataSourceOptions(database.url), migrations: before, logging: false });
    await dataSource.initialize();
    await dataSource.runMigrations();
    await dataSource.destroy();
  });

  afterAll(async () => {
    await t?.close();
    await database.drop();
  });

  it('are not bounded by DB_STATEMENT_TIMEOUT_MS: one kept waiting past it completes, and the service starts', async () => {
    const holder = new Client({ connectionString: database.url });
    await holder.connect();
    await holder.query('BEGIN');
    await holder.query('LOCK TABLE failed_registrations IN ACCESS SHARE MODE');
    const starting = startTestApp({ databaseUrl: database.url, env: { DB_STATEMENT_TIMEOUT_MS: '300' } });
    // The migration's session waits for the table; it must still be the same wait five timeouts later, not
    // cancelled by the timeout (and retried by a new session).
    const waiter = async () =>
      (
        await holder.query<{ pid: number }>(
          `SELECT l.pid FROM pg_locks l WHERE NOT l.granted AND l.relation = 'failed_registrations'::regclass`,
        )
      ).rows[0]?.pid;
    let pid: number | undefined;
    while (pid === undefined) {
      await sleep(50);
      pid = await waiter();
    }
    for (let waited = 0; waited < 1500; waited += 50) {
      await sleep(50);
      expect(await waiter()).toBe(pid);
    }
    await holder.query('COMMIT');
    await holder.end();

    t = await starting;
    const db = new Client({ connectionString: database.url });
    await db.connect();
    try {
      const { rows } = await db.query<{ kind: string }>(
        `SELECT relkind AS kind FROM pg_class WHERE relname = 'failed_registrations'`,
      );
      expect(rows).toEqual([{ kind: 'p' }]);
    } finally {
      await db.end();
    }
    await t.http.get('/health').expect(200);
  });
});
