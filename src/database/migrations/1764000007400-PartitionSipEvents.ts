import { MigrationInterface, QueryRunner } from 'typeorm';

/** The SIP event tables this migration partitions by day; a later event table is partitioned the same way. */
export const PARTITIONED_EVENT_TABLES = ['failed_registrations', 'door_knock_attempts'] as const;

/** Days past today (UTC) that get their partition now; EventPartitionsService keeps as many ahead. */
export const EVENT_PARTITION_DAYS_AHEAD = 7;

/**
 * Older rows than this many days go into one `<table>_archive` partition instead of one partition per day:
 * every partition costs a lock per relation in this migration's transaction (table, TOAST, each index), and
 * years of history would overflow PostgreSQL's lock table (max_locks_per_transaction). It covers the default
 * retention (90 days); retention deletes the archive's rows in batches as before, and drops it once all of
 * it has expired.
 */
const DAILY_PARTITIONS_BACK = 100;

/**
 * Turns failed_registrations and door_knock_attempts into tables partitioned by created_at, one partition per
 * UTC day (`<table>_pYYYYMMDD`), so that retention drops a day's partition instead of deleting its rows in
 * batches (docs/OPERATIONS.md). The parents keep their names, columns, sequence, defaults, indexes (each
 * partition has its own copy) and grants: the proxy's INSERTs, the ingest API, the listings and the ban engine
 * see the same tables. The primary key becomes (id, created_at), as a partitioned table's unique key must hold
 * the partition key; ids still come from the same sequence, unique and increasing.
 *
 * A DEFAULT partition takes any row no daily partition covers (a clock far off, an old or future timestamp):
 * no INSERT is ever refused. regshield_create_event_partition() moves such rows into the day's partition when
 * it is created; retention deletes expired ones in batches.
 *
 * Every row is copied within this migration's transaction, which holds the tables exclusively meanwhile: the
 * proxy's INSERTs wait (Kamailio queues them; docs/BENCHMARKS.md measures the time per million rows).
 */
export class PartitionSipEvents1764000007400 implements MigrationInterface {
  name = 'PartitionSipEvents1764000007400';

  async up(queryRunner: QueryRunner): Promise<void> {
    // Creates the day's partition of `parent` unless one exists: as its own table first, where the rows the
    // DEFAULT partition holds for that day move, then attached (which takes only a SHARE UPDATE EXCLUSIVE
    // lock on the parent, so INSERTs go on; CREATE TABLE … PARTITION OF would block them). True if created.
    await queryRunner.query(`
      CREATE FUNCTION regshield_create_event_partition(parent text, day date) RETURNS boolean
      LANGUAGE plpgsql AS $$
      DECLARE
        partition text := parent || '_p' || to_char(day, 'YYYYMMDD');
        lower_bound timestamptz := day::timestamp AT TIME ZONE 'UTC';
        upper_bound timestamptz := (day + 1)::timestamp AT TIME ZONE 'UTC';
      BEGIN
        IF to_regclass(quote_ident(partition)) IS NOT NULL THEN
          RETURN false;
        END IF;
        EXECUTE format('CREATE TABLE %I (LIKE %I INCLUDING DEFAULTS INCLUDING CONSTRAINTS)', partition, parent);
        EXECUTE format('WITH moved AS (DELETE FROM %I WHERE created_at >= $1 AND created_at < $2 RETURNING *) '
          || 'INSERT INTO %I SELECT * FROM moved', parent, partition) USING lower_bound, upper_bound;
        EXECUTE format('ALTER TABLE %I ATTACH PARTITION %I FOR VALUES FROM (%L) TO (%L)',
          parent, partition, lower_bound, upper_bound);
        RETURN true;
      END
      $$`);
    for (const table of PARTITIONED_EVENT_TABLES) await partitionEventTable(queryRunner, table);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    for (const table of PARTITIONED_EVENT_TABLES) await unpartitionEventTable(queryRunner, table);
    await queryRunner.query(`DROP FUNCTION regshield_create_event_partition(text, date)`);
  }
}

/**
 * Converts one event table (a bigserial `id`, a `created_at timestamptz NOT NULL`) in place, with its indexes,
 * grants and triggers; a later event table's migration calls it too (after regshield_create_event_partition()
 * exists; PartitionRegistrationSuccesses does), then adds the table to EVENT_TABLES so upkeep and retention
 * cover it.
 */
export async function partitionEventTable(queryRunner: QueryRunner, table: string): Promise<void> {
  const previous = `${table}_unpartitioned`;
  const indexes = await secondaryIndexDefinitions(queryRunner, table);
  const grants = await grantStatements(queryRunner, table);
  const triggers = await triggerStatements(queryRunner, table);
  // The first daily partition: the oldest row's day, at most DAILY_PARTITIONS_BACK days back, at the latest today.
  const [{ rows, firstDay, today }] = (await queryRunner.query(
    `SELECT counted.rows::text AS rows, clock.today::text AS today,
            CASE WHEN counted.oldest IS NULL THEN clock.today
                 ELSE least(clock.today, greatest(counted.oldest, clock.today - $1::int)) END::text AS "firstDay"
       FROM (SELECT count(*) AS rows, min((created_at AT TIME ZONE 'UTC')::date) FILTER (WHERE isfinite(created_at)) AS oldest
               FROM ${table}) counted,
            (SELECT (now() AT TIME ZONE 'UTC')::date AS today) clock`,
    [DAILY_PARTITIONS_BACK],
  )) as Array<{ rows: string; firstDay: string; today: string }>;

  await queryRunner.query(`ALTER TABLE ${table} RENAME TO ${previous}`);
  await queryRunner.query(
    `CREATE TABLE ${table} (LIKE ${previous} INCLUDING DEFAULTS INCLUDING CONSTRAINTS) PARTITION BY RANGE (created_at)`,
  );
  await queryRunner.query(
    `SELECT regshield_create_event_partition($1, day::date)
       FROM generate_series($2::date, $3::date + $4::int, interval '1 day') day`,
    [table, firstDay, today, EVENT_PARTITION_DAYS_AHEAD],
  );
  const [{ older }] = (await queryRunner.query(
    `SELECT EXISTS (SELECT 1 FROM ${previous} WHERE created_at < $1::date::timestamp AT TIME ZONE 'UTC') AS older`,
    [firstDay],
  )) as Array<{ older: boolean }>;
  if (older) {
    await queryRunner.query(
      `CREATE TABLE ${table}_archive PARTITION OF ${table} FOR VALUES FROM (MINVALUE) TO ('${firstDay} 00:00:00+00')`,
    );
  }
  await queryRunner.query(`CREATE TABLE ${table}_default PARTITION OF ${table} DEFAULT`);

  await queryRunner.query(`INSERT INTO ${table} SELECT * FROM ${previous}`);
  const [{ copied }] = (await queryRunner.query(`SELECT count(*)::text AS copied FROM ${table}`)) as Array<{
    copied: string;
  }>;
  if (copied !== rows) throw new Error(`${table}: ${rows} rows before partitioning, ${copied} after`);

  await queryRunner.query(`ALTER SEQUENCE ${table}_id_seq OWNED BY ${table}.id`);
  await queryRunner.query(`DROP TABLE ${previous}`);
  await queryRunner.query(`ALTER TABLE ${table} ADD PRIMARY KEY (id, created_at)`);
  for (const definition of indexes) await queryRunner.query(definition);
  for (const grant of grants) await queryRunner.query(grant.replace('%TABLE%', table));
  for (const trigger of triggers) await queryRunner.query(trigger.replace('%TABLE%', table));
  // Autovacuum analyzes the partitions, never a partitioned parent: its statistics come from here.
  await queryRunner.query(`ANALYZE ${table}`);
}

/** Back to a plain table with the primary key (id), every row kept, its indexes, grants and triggers. */
export async function unpartitionEventTable(queryRunner: QueryRunner, table: string): Promise<void> {
  const previous = `${table}_partitioned`;
  const indexes = await secondaryIndexDefinitions(queryRunner, table);
  const grants = await grantStatements(queryRunner, table);
  const triggers = await triggerStatements(queryRunner, table);
  await queryRunner.query(`ALTER TABLE ${table} RENAME TO ${previous}`);
  await queryRunner.query(`CREATE TABLE ${table} (LIKE ${previous} INCLUDING DEFAULTS INCLUDING CONSTRAINTS)`);
  await queryRunner.query(`INSERT INTO ${table} SELECT * FROM ${previous}`);
  await queryRunner.query(`ALTER SEQUENCE ${table}_id_seq OWNED BY ${table}.id`);
  await queryRunner.query(`DROP TABLE ${previous}`);
  await queryRunner.query(`ALTER TABLE ${table} ADD PRIMARY KEY (id)`);
  for (const definition of indexes) await queryRunner.query(definition);
  for (const grant of grants) await queryRunner.query(grant.replace('%TABLE%', table));
  for (const trigger of triggers) await queryRunner.query(trigger.replace('%TABLE%', table));
}

/**
 * The CREATE INDEX statements of the table's indexes but its primary key, as PostgreSQL prints them (the
 * table schema-qualified, so they apply to the table that has its name when they run); a partitioned
 * table's are printed `ON ONLY`, which would skip its partitions.
 */
async function secondaryIndexDefinitions(queryRunner: QueryRunner, table: string): Promise<string[]> {
  const rows = (await queryRunner.query(
    `SELECT pg_get_indexdef(indexrelid) AS definition FROM pg_index
      WHERE indrelid = $1::regclass AND NOT indisprimary ORDER BY indexrelid`,
    [table],
  )) as Array<{ definition: string }>;
  return rows.map(({ definition }) => definition.replace(' ON ONLY ', ' ON '));
}

/**
 * The table's own triggers (the wake-up announcements of WakeUpNotifications on registration_successes; none on
 * the two tables this migration converts), as PostgreSQL prints them, and how each is enabled if not plainly:
 * CREATE TABLE … LIKE copies no trigger, and the old table's go with it when it is dropped. Run once the rows
 * are copied, so the copy announces nothing. A partitioned table's row triggers are cloned onto its partitions.
 */
async function triggerStatements(queryRunner: QueryRunner, table: string): Promise<string[]> {
  const rows = (await queryRunner.query(
    `SELECT pg_get_triggerdef(oid) AS definition, quote_ident(tgname) AS name, tgenabled AS enabled FROM pg_trigger
      WHERE tgrelid = $1::regclass AND NOT tgisinternal ORDER BY tgname`,
    [table],
  )) as Array<{ definition: string; name: string; enabled: string }>;
  const enabling: Record<string, string> = { D: 'DISABLE', R: 'ENABLE REPLICA', A: 'ENABLE ALWAYS' };
  return rows.flatMap(({ definition, name, enabled }) => [
    definition,
    ...(enabling[enabled] ? [`ALTER TABLE %TABLE% ${enabling[enabled]} TRIGGER ${name}`] : []),
  ]);
}

/** The table's grants to other roles (the proxy's INSERT), as GRANT statements on `%TABLE%`. */
async function grantStatements(queryRunner: QueryRunner, table: string): Promise<string[]> {
  const rows = (await queryRunner.query(
    `SELECT acl.privilege_type AS privilege, acl.is_grantable AS grantable,
            CASE acl.grantee WHEN 0 THEN 'PUBLIC' ELSE quote_ident(pg_get_userbyid(acl.grantee)) END AS grantee
       FROM pg_class c, aclexplode(c.relacl) acl
      WHERE c.oid = $1::regclass AND acl.grantee <> c.relowner`,
    [table],
  )) as Array<{ privilege: string; grantee: string; grantable: boolean }>;
  return rows.map(
    ({ privilege, grantee, grantable }) =>
      `GRANT ${privilege} ON %TABLE% TO ${grantee}${grantable ? ' WITH GRANT OPTION' : ''}`,
  );
}
