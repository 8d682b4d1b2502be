import { DataSource } from 'typeorm';

/**
 * How long a look waits for each table's SHARE lock (lock_timeout counts each lock apart). While it waits,
 * every new INSERT into that table waits behind it, so this also bounds how long a look may hold a writer up
 * (once per table locked after it: twice for failed_registrations when both event tables have a writer held
 * open); the writers' transactions are single INSERT statements (a batch at most), done in milliseconds.
 */
const LOCK_TIMEOUT = '100ms';

/** PostgreSQL's lock_not_available, which lock_timeout raises. */
const LOCK_NOT_AVAILABLE = '55P03';

/**
 * Per table (each with an `id` from its `<table>_id_seq`), the highest id below which no row can still appear:
 * every transaction that drew an id up to it has committed or rolled back. Undefined when a writer's
 * transaction kept a table past the lock timeout. For the looks that read a table's new rows by an id
 * watermark (the ban engine, the account watch): they read up to it, so that their watermark never passes a
 * row a writer has yet to commit.
 *
 * Ids are drawn at INSERT and become visible at COMMIT, in whatever order the writers (the proxies' queue
 * writers, the ingest API) commit: a watermark moved past an id still uncommitted would skip that row for
 * good. Every INSERT holds ROW EXCLUSIVE on the parent until its transaction ends (every writer names the
 * parent; the proxy's role may insert into nothing else), and SHARE conflicts with it, so once the locks are
 * granted no transaction that drew an id is still open, and any that starts afterwards draws a higher one.
 * ONLY the parents: locking the ~110 daily partitions as well would double the cost and wait on their
 * autovacuums, for no writer more. All tables in one statement, in the order given, so two looks never wait
 * on each other crosswise. In a transaction of its own, committed at once, so writers wait for this instant
 * alone, never for a look.
 */
export async function findSettledIdHorizons<Table extends string>(
  dataSource: DataSource,
  tables: readonly Table[],
): Promise<Record<Table, string> | undefined> {
  try {
    return await dataSource.transaction(async (tx) => {
      await tx.query(`SET LOCAL lock_timeout = '${LOCK_TIMEOUT}'`);
      await tx.query(`LOCK TABLE ${tables.map((table) => `ONLY ${table}`).join(', ')} IN SHARE MODE`);
      // Before its first nextval a sequence's last_value is the id it will hand out next, not one drawn.
      const lastDrawn = tables.map(
        (table) =>
          `(SELECT (CASE WHEN is_called THEN last_value ELSE last_value - 1 END)::text FROM ${table}_id_seq) AS "${table}"`,
      );
      const [horizons] = await tx.query<Array<Record<Table, string>>>(`SELECT ${lastDrawn.join(', ')}`);
      return horizons;
    });
  } catch (error) {
    if ((error as { code?: string }).code === LOCK_NOT_AVAILABLE) return undefined;
    throw error;
  }
}
