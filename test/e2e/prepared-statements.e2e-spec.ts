import { DataSource, QueryFailedError, QueryRunner } from 'typeorm';
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

  /**
   * `work` on one pooled connection of a DataSource built as the app's is, after `setUp` on any (so that
   * pg_prepared_statements, which is per connection, shows what `work` sent).
   */
  async function onOneConnection(
    work: (runner: QueryRunner) => Promise<void>,
    setUp: (dataSource: DataSource) => Promise<unknown> = async () => undefined,
  ): Promise<void> {
    await withMigrations(database.url, async (dataSource) => {
      await setUp(dataSource);
      const runner = dataSource.createQueryRunner();
      try {
        await work(runner);
      } finally {
        await runner.release();
      }
    });
  }

  /** The statements this runner's connection holds prepared: name and text. */
  async function preparedOn(runner: QueryRunner): Promise<Array<{ name: string; statement: string }>> {
    return runner.query('SELECT name, statement FROM pg_prepared_statements ORDER BY name');
  }

  it('sends a marked text as one named statement, parsed once per connection, and leaves the others unnamed', async () => {
    const marked = prepared('SELECT $1::int + 1 AS next');
    await onOneConnection(async (runner) => {
      expect(await runner.query(marked, [1])).toEqual([{ next: 2 }]);
      expect(await runner.query(marked, [41])).toEqual([{ next: 42 }]);
      expect(await runner.query('SELECT $1::int - 1 AS previous', [1])).toEqual([{ previous: 0 }]);
      const statements = await preparedOn(runner);
      expect(statements).toHaveLength(1);
      expect(statements[0]).toEqual({ name: expect.stringMatching(/^regshield_\d+$/), statement: marked });
    });
  });

  it('fails a named statement as it failed unnamed, and runs it again on the same connection', async () => {
    const insert = prepared('INSERT INTO prepared_spec (id) VALUES ($1)');
    await onOneConnection(
      async (runner) => {
        await runner.query(insert, [1]);
        const duplicate = await runner.query(insert, [1]).catch((error: unknown) => error);
        expect(duplicate).toBeInstanceOf(QueryFailedError);
        expect((duplicate as QueryFailedError & { driverError: { code: string } }).driverError.code).toBe('23505');
        await runner.query(insert, [2]);
        expect(await runner.query('SELECT id FROM prepared_spec ORDER BY id')).toEqual([{ id: 1 }, { id: 2 }]);
      },
      (dataSource) => dataSource.query('CREATE TABLE prepared_spec (id int PRIMARY KEY)'),
    );
  });

  it('reads a partitioned table it was prepared against after a partition is added', async () => {
    const select = prepared('SELECT count(*)::int AS rows FROM prepared_spec_events WHERE day >= $1');
    const addPartition = (db: { query(sql: string): Promise<unknown> }, day: number) =>
      db.query(
        `CREATE TABLE prepared_spec_events_${day} PARTITION OF prepared_spec_events
           FOR VALUES FROM ('2026-01-0${day}') TO ('2026-01-0${day + 1}');
         INSERT INTO prepared_spec_events VALUES ('2026-01-0${day}')`,
      );
    await onOneConnection(
      async (runner) => {
        // More runs than PostgreSQL's five before it may keep a generic plan.
        for (let run = 0; run < 7; run++) {
          expect(await runner.query(select, ['2026-01-01'])).toEqual([{ rows: 1 }]);
        }
        await addPartition(runner, 2);
        expect(await runner.query(select, ['2026-01-01'])).toEqual([{ rows: 2 }]);
      },
      async (dataSource) => {
        await dataSource.query('CREATE TABLE prepared_spec_events (day date NOT NULL) PARTITION BY RANGE (day)');
        await addPartition(dataSource, 1);
      },
    );
  });
});
