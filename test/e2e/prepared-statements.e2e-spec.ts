import { QueryFailedError, QueryRunner } from 'typeorm';
import { prepared } from '../../src/database/prepared-statements';
import { createTestDatabase, withMigrations } from '../support/test-database';

/**
 * The app's DataSource options send the texts marked by `prepared` as named statements, on a real PostgreSQL:
 * PostgreSQL's own list of a connection's prepared statements (pg_prepared_statements) shows which went out
 * named. Everything else still goes out unnamed, and a named statement that fails leaves its connection usable.
 */
describe('Prepared statements (the DataSource of the app, real PostgreSQL)', () => {
  let database: { url: string; drop(): Promise<void> };

  beforeAll(async () => {
    database = await createTestDatabase();
  });

  afterAll(async () => {
    await database.drop();
  });

  /** The statements this runner's connection holds prepared: name and text. */
  async function preparedOn(runner: QueryRunner): Promise<Array<{ name: string; statement: string }>> {
    return runner.query('SELECT name, statement FROM pg_prepared_statements ORDER BY name');
  }

  it('sends a marked text as one named statement, parsed once per connection, and leaves the others unnamed', async () => {
    const marked = prepared('SELECT $1::int + 1 AS next');
    await withMigrations(database.url, async (dataSource) => {
      const runner = dataSource.createQueryRunner();
      try {
        expect(await runner.query(marked, [1])).toEqual([{ next: 2 }]);
        expect(await runner.query(marked, [41])).toEqual([{ next: 42 }]);
        expect(await runner.query('SELECT $1::int - 1 AS previous', [1])).toEqual([{ previous: 0 }]);
        const statements = await preparedOn(runner);
        expect(statements).toHaveLength(1);
        expect(statements[0]).toEqual({ name: expect.stringMatching(/^regshield_\d+$/), statement: marked });
      } finally {
        await runner.release();
      }
    });
  });

  it('fails a named statement as it failed unnamed, and runs it again on the same connection', async () => {
    const insert = prepared('INSERT INTO prepared_spec (id) VALUES ($1)');
    await withMigrations(database.url, async (dataSource) => {
      await dataSource.query('CREATE TABLE prepared_spec (id int PRIMARY KEY)');
      const runner = dataSource.createQueryRunner();
      try {
        await runner.query(insert, [1]);
        const duplicate = await runner.query(insert, [1]).catch((error: unknown) => error);
        expect(duplicate).toBeInstanceOf(QueryFailedError);
        expect((duplicate as QueryFailedError & { driverError: { code: string } }).driverError.code).toBe('23505');
        await runner.query(insert, [2]);
        expect(await runner.query('SELECT id FROM prepared_spec ORDER BY id')).toEqual([{ id: 1 }, { id: 2 }]);
      } finally {
        await runner.release();
      }
    });
  });

  it('reads a partitioned table it was prepared against after a partition is added', async () => {
    const select = prepared('SELECT count(*)::int AS rows FROM prepared_spec_events WHERE day >= $1');
    await withMigrations(database.url, async (dataSource) => {
      await dataSource.query('CREATE TABLE prepared_spec_events (day date NOT NULL) PARTITION BY RANGE (day)');
      await dataSource.query(
        `CREATE TABLE prepared_spec_events_1 PARTITION OF prepared_spec_events FOR VALUES FROM ('2026-01-01') TO ('2026-01-02')`,
      );
      await dataSource.query(`INSERT INTO prepared_spec_events VALUES ('2026-01-01')`);
      const runner = dataSource.createQueryRunner();
      try {
        // More runs than PostgreSQL's five before it may keep a generic plan.
        for (let run = 0; run < 7; run++) {
          expect(await runner.query(select, ['2026-01-01'])).toEqual([{ rows: 1 }]);
        }
        await dataSource.query(
          `CREATE TABLE prepared_spec_events_2 PARTITION OF prepared_spec_events FOR VALUES FROM ('2026-01-02') TO ('2026-01-03')`,
        );
        await dataSource.query(`INSERT INTO prepared_spec_events VALUES ('2026-01-02')`);
        expect(await runner.query(select, ['2026-01-01'])).toEqual([{ rows: 2 }]);
      } finally {
        await runner.release();
      }
    });
  });
});
