import { randomBytes } from 'node:crypto';
import { Client } from 'pg';
import { MIGRATIONS } from '../../src/database/data-source-options';
import { PartitionSipEvents1764000007400 } from '../../src/database/migrations/1764000007400-PartitionSipEvents';
import { EventPartitionsService } from '../../src/sip-security/event-partitions.service';
import { EventRetentionService } from '../../src/sip-security/event-retention.service';
import { doorKnock, failedRegistration } from '../support/sip-events';
import { ADMIN, startTestApp, TestApp } from '../support/test-app';
import { createDatabaseWith, dropTestRole, migrate, withMigrations } from '../support/test-database';
import { waitFor } from '../support/wait';

const API_KEY = 'proxy-key-0123456789abcdef';
const RETENTION_DAYS = 30;

/** Every row of a table as (id, a digest of the whole row), in id order. */
async function rowDigests(db: Client, table: string): Promise<Array<{ id: string; digest: string }>> {
  const { rows } = await db.query<{ id: string; digest: string }>(
    `SELECT id::text AS id, md5(t::text) AS digest FROM ${table} t ORDER BY id`,
  );
  return rows;
}

async function partitionsOf(db: Client, table: string): Promise<string[]> {
  const { rows } = await db.query<{ name: string }>(
    `SELECT c.relname AS name FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid
      WHERE i.inhparent = $1::regclass ORDER BY 1`,
    [table],
  );
  return rows.map((row) => row.name);
}

/** The partition that holds the row. */
async function partitionOfRow(db: Client, table: string, id: string): Promise<string> {
  const { rows } = await db.query<{ name: string }>(
    `SELECT tableoid::regclass::text AS name FROM ${table} WHERE id = $1`,
    [id],
  );
  return rows[0].name;
}

/** The UTC day `offset` days from today, as a partition suffix (YYYYMMDD). */
async function daySuffix(db: Client, offset: number): Promise<string> {
  const { rows } = await db.query<{ day: string }>(
    `SELECT to_char((now() AT TIME ZONE 'UTC')::date + $1::int, 'YYYYMMDD') AS day`,
    [offset],
  );
  return rows[0].day;
}

describe('SIP event tables partitioned by day (migration on a populated database, upkeep, retention)', () => {
  jest.setTimeout(240_000);
  const proxyRole = `regshield_test_proxy_${randomBytes(4).toString('hex')}`;
  let database: { url: string; drop(): Promise<void> };
  let db: Client;
  let t: TestApp | undefined;
  const before: Record<string, Array<{ id: string; digest: string }>> = {};

  beforeAll(async () => {
    ({ database, db } = await createDatabaseWith(
      MIGRATIONS.slice(0, MIGRATIONS.indexOf(PartitionSipEvents1764000007400)),
    ));
    // 50 000 rows over 200 days back and a week ahead, so older than the daily partitions, within them and
    // past them; then rows at odd times: either infinity, the epoch, far past and future, a day's edges.
    await db.query(
      `INSERT INTO failed_registrations (username, domain, source_ip, source_port, user_agent, response_code,
                                         response_reason, expires, created_at)
       SELECT 'user' || (i % 97), 'sip.example.com', ('10.' || (i % 250) || '.' || (i % 199) || '.1')::inet, 5060 + i % 7,
              CASE WHEN i % 5 = 0 THEN NULL ELSE 'scanner ' || i END, 403, 'Forbidden', NULLIF(i % 3, 0) * 600,
              now() + interval '7 days' - i * interval '359 seconds'
         FROM generate_series(1, 50000) i`,
    );
    await db.query(
      `INSERT INTO failed_registrations (username, source_ip, response_code, created_at)
       SELECT 'odd', '192.0.2.99', 403, at::timestamptz FROM unnest($1::text[]) at`,
      [
        [
          '-infinity',
          'infinity',
          '1970-01-01 00:00:00+00',
          '1900-06-01 12:00:00+00',
          '2400-01-01 00:00:00+00',
          new Date().toISOString().slice(0, 10) + ' 00:00:00+00',
          new Date().toISOString().slice(0, 10) + ' 23:59:59.999999+00',
          new Date().toISOString().slice(0, 10) + ' 12:00:00+14',
        ],
      ],
    );
    await db.query(
      `INSERT INTO door_knock_attempts (source_ip, source_port, method, request_uri, domain, reason, user_agent, created_at)
       SELECT ('172.16.' || (i % 200) || '.' || (i % 13) || '')::inet, 5070, 'OPTIONS', 'sip:100@evil.example',
              'evil.example', CASE WHEN i % 2 = 0 THEN 'unknown_domain' ELSE 'flood' END, 'sipvicious',
              now() - i * interval '1 hour'
         FROM generate_series(1, 5000) i`,
    );
    await db.query(`CREATE ROLE ${proxyRole}`);
    await db.query(`GRANT INSERT ON failed_registrations, door_knock_attempts TO ${proxyRole}`);
    for (const table of ['failed_registrations', 'door_knock_attempts']) before[table] = await rowDigests(db, table);

    await migrate(database.url);
  });
  afterAll(async () => {
    await t?.close();
    await db?.end();
    await database?.drop();
    await dropTestRole(proxyRole);
  });

  it('keeps every row, with its id and every value, in partitioned tables', async () => {
    expect(before.failed_registrations).toHaveLength(50_008);
    for (const table of ['failed_registrations', 'door_knock_attempts']) {
      expect(await rowDigests(db, table)).toEqual(before[table]);
      const { rows } = await db.query<{ kind: string }>(
        `SELECT relkind AS kind FROM pg_class WHERE oid = $1::regclass`,
        [table],
      );
      expect(rows[0].kind).toBe('p');
    }
  });

  it('has a partition per day from 100 days back to a week ahead, one for older rows, and a DEFAULT one', async () => {
    const partitions = await partitionsOf(db, 'failed_registrations');
    const days = partitions.filter((name) => /_p\d{8}$/.test(name));
    expect(days).toHaveLength(108);
    expect(days[0]).toBe(`failed_registrations_p${await daySuffix(db, -100)}`);
    expect(days.at(-1)).toBe(`failed_registrations_p${await daySuffix(db, 7)}`);
    expect(partitions).toEqual(
      expect.arrayContaining(['failed_registrations_archive', 'failed_registrations_default']),
    );

    const oddRows = async (at: string) => {
      const { rows } = await db.query<{ name: string }>(
        `SELECT tableoid::regclass::text AS name FROM failed_registrations WHERE username = 'odd' AND created_at = $1`,
        [at],
      );
      return rows.map((row) => row.name);
    };
    expect(await oddRows('-infinity')).toEqual(['failed_registrations_archive']);
    expect(await oddRows('1900-06-01 12:00:00+00')).toEqual(['failed_registrations_archive']);
    expect(await oddRows('infinity')).toEqual(['failed_registrations_default']);
    expect(await oddRows('2400-01-01 00:00:00+00')).toEqual(['failed_registrations_default']);
    const today = await daySuffix(db, 0);
    const midnight = new Date().toISOString().slice(0, 10) + ' 00:00:00+00';
    expect(await oddRows(midnight)).toEqual([`failed_registrations_p${today}`]);
    expect(await oddRows(new Date().toISOString().slice(0, 10) + ' 23:59:59.999999+00')).toEqual([
      `failed_registrations_p${today}`,
    ]);
    // 12:00 at +14 is 22:00 UTC the day before.
    expect(await oddRows(new Date().toISOString().slice(0, 10) + ' 12:00:00+14')).toEqual([
      `failed_registrations_p${await daySuffix(db, -1)}`,
    ]);
  });

  it('has every index of the table on each partition, the primary key (id, created_at), and its grants', async () => {
    for (const table of ['failed_registrations', 'door_knock_attempts']) {
      // Every index defined on the parent, later migrations' included, stands on each partition.
      const parent = await db.query<{ count: number }>(
        `SELECT count(*)::int AS count FROM pg_index WHERE indrelid = $1::regclass`,
        [table],
      );
      const count = parent.rows[0].count;
      expect(count).toBeGreaterThanOrEqual(table === 'failed_registrations' ? 6 : 5);
      const { rows } = await db.query<{ partition: string; indexes: number }>(
        `SELECT c.relname AS partition, (SELECT count(*)::int FROM pg_index x WHERE x.indrelid = c.oid) AS indexes
           FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid WHERE i.inhparent = $1::regclass`,
        [table],
      );
      expect(rows.length).toBeGreaterThan(100);
      for (const row of rows) expect(row).toEqual({ partition: row.partition, indexes: count });
      const key = await db.query<{ definition: string }>(
        `SELECT pg_get_constraintdef(oid) AS definition FROM pg_constraint WHERE conrelid = $1::regclass AND contype = 'p'`,
        [table],
      );
      expect(key.rows).toEqual([{ definition: 'PRIMARY KEY (id, created_at)' }]);
      const granted = await db.query<{ insert: boolean }>(`SELECT has_table_privilege($1, $2, 'INSERT') AS insert`, [
        proxyRole,
        table,
      ]);
      expect(granted.rows[0].insert).toBe(true);
    }
    const indexNames = await db.query<{ name: string }>(
      `SELECT indexrelid::regclass::text AS name FROM pg_index WHERE indrelid = 'failed_registrations'::regclass ORDER BY 1`,
    );
    expect(indexNames.rows.map((row) => row.name)).toEqual([
      'failed_registrations_domain_time_idx',
      'failed_registrations_pkey',
      'failed_registrations_response_code_time_idx',
      'failed_registrations_source_time_idx',
      'failed_registrations_source_username_idx',
      'failed_registrations_time_idx',
      'failed_registrations_username_time_idx',
    ]);
  });

  it('takes INSERTs for now, far ahead and far back, ids from the same sequence, higher than every earlier one', async () => {
    const lastId = before.failed_registrations.at(-1)!.id;
    const inserted = await db.query<{ id: string; partition: string }>(
      `INSERT INTO failed_registrations (username, source_ip, response_code, created_at)
       SELECT 'after', '192.0.2.98', 403, at::timestamptz FROM unnest($1::text[]) WITH ORDINALITY AS times(at, n)
        ORDER BY n
       RETURNING id::text AS id, tableoid::regclass::text AS partition`,
      [['now', '3000-01-01 00:00:00+00', '1800-01-01 00:00:00+00']],
    );
    const ids = inserted.rows.map((row) => BigInt(row.id));
    expect(ids[0]).toBeGreaterThan(BigInt(lastId));
    expect(ids[1]).toBeGreaterThan(ids[0]);
    expect(ids[2]).toBeGreaterThan(ids[1]);
    expect(inserted.rows.map((row) => row.partition)).toEqual([
      `failed_registrations_p${await daySuffix(db, 0)}`,
      'failed_registrations_default',
      'failed_registrations_archive',
    ]);
  });

  it('keeps the ingest API and the listings working on the partitioned tables', async () => {
    t = await startTestApp({
      databaseUrl: database.url,
      env: { SIP_INGEST_API_KEY: API_KEY, SIP_EVENT_RETENTION_DAYS: String(RETENTION_DAYS) },
    });
    const key = { 'X-Api-Key': API_KEY };
    await t.http
      .post('/api/sip-security/failed-registrations')
      .set(key)
      .send(failedRegistration('192.0.2.97', { username: 'ingested' }))
      .expect(202);
    await t.http.post('/api/sip-security/door-knocks').set(key).send(doorKnock('192.0.2.97')).expect(202);
    const admin = await t.login(ADMIN.email, ADMIN.password);
    const page = await t.http
      .get('/api/sip-security/failed-registrations?username=ingested')
      .set({ Authorization: `Bearer ${admin}` })
      .expect(200);
    expect(page.body).toHaveLength(1);
    const listed = await t.http
      .get('/api/sip-security/door-knocks?source_ip=172.16.1.1&limit=3')
      .set({ Authorization: `Bearer ${admin}` })
      .expect(200);
    const times = (listed.body as Array<{ created_at: string }>).map((row) => row.created_at);
    expect(times).toEqual([...times].sort().reverse());
  });

  it('creates the partitions ahead at start and moves the rows the DEFAULT partition held for a new day', async () => {
    const ahead = `failed_registrations_p${await daySuffix(db, 7)}`;
    await db.query(`DROP TABLE ${ahead}`);
    const { rows } = await db.query<{ id: string }>(
      `INSERT INTO failed_registrations (username, source_ip, response_code, created_at)
       VALUES ('ahead', '192.0.2.96', 403, (now() AT TIME ZONE 'UTC')::date + 7 + interval '12 hours')
       RETURNING id::text AS id`,
    );
    expect(await partitionOfRow(db, 'failed_registrations', rows[0].id)).toBe('failed_registrations_default');

    const partitions = t!.app.get(EventPartitionsService);
    // Two passes at once, as from two instances: one creates, the other finds the lock taken or nothing to do.
    const passes = await Promise.all([partitions.createPartitionsAhead(), partitions.createPartitionsAhead()]);
    expect(passes.map((created) => created.failed_registrations ?? 0).sort()).toEqual([0, 1]);
    expect(await partitionOfRow(db, 'failed_registrations', rows[0].id)).toBe(ahead);
    expect(await partitionsOf(db, 'failed_registrations')).toContain(ahead);
  });

  it(`drops whole partitions older than SIP_EVENT_RETENTION_DAYS=${RETENTION_DAYS}, keeps every newer row`, async () => {
    const expiredBefore = `created_at < now() - make_interval(days => ${RETENTION_DAYS})`;
    const { rows: farBack } = await db.query<{ id: string }>(
      `INSERT INTO failed_registrations (username, source_ip, response_code, created_at)
       VALUES ('far back', '192.0.2.95', 403, '1700-01-01 00:00:00+00') RETURNING id::text AS id`,
    );
    const kept = async (table: string) =>
      (await db.query(`SELECT id::text, md5(t::text) FROM ${table} t WHERE NOT (${expiredBefore}) ORDER BY id`)).rows;
    const keptBefore = { failed: await kept('failed_registrations'), knocks: await kept('door_knock_attempts') };
    const partitionsBefore = await partitionsOf(db, 'failed_registrations');

    const result = await t!.app.get(EventRetentionService).purgeExpiredEvents();

    const partitionsAfter = await partitionsOf(db, 'failed_registrations');
    // The archive and the days 31 to 100 back go whole; the day the cutoff falls in stays.
    expect(result?.failed_registrations.droppedPartitions).toBe(71);
    expect(partitionsAfter).toHaveLength(partitionsBefore.length - 71);
    expect(partitionsAfter).not.toContain('failed_registrations_archive');
    expect(partitionsAfter).toContain(`failed_registrations_p${await daySuffix(db, -RETENTION_DAYS)}`);
    expect(partitionsAfter).not.toContain(`failed_registrations_p${await daySuffix(db, -RETENTION_DAYS - 1)}`);
    for (const table of ['failed_registrations', 'door_knock_attempts']) {
      const { rows } = await db.query(`SELECT 1 FROM ${table} WHERE ${expiredBefore}`);
      expect(rows).toEqual([]);
    }
    expect(await kept('failed_registrations')).toEqual(keptBefore.failed);
    expect(await kept('door_knock_attempts')).toEqual(keptBefore.knocks);
    // The row the archive took after the migration went with it; the cutoff's day lost its older rows in batches.
    expect((await db.query('SELECT 1 FROM failed_registrations WHERE id = $1', [farBack[0].id])).rows).toEqual([]);
    expect(result?.failed_registrations.deletedRows).toBeGreaterThan(0);
  });

  it('leaves an expired partition for the next pass while a long query holds the table (a bounded lock wait)', async () => {
    const day = await daySuffix(db, -60);
    await db.query(`SELECT regshield_create_event_partition('failed_registrations', to_date($1, 'YYYYMMDD'))`, [day]);
    const reader = new Client({ connectionString: database.url });
    await reader.connect();
    try {
      await reader.query('BEGIN');
      await reader.query('SELECT count(*) FROM failed_registrations');
      const started = Date.now();
      const blocked = await t!.app.get(EventRetentionService).purgeExpiredEvents();
      expect(Date.now() - started).toBeLessThan(20_000);
      expect(blocked?.failed_registrations.droppedPartitions).toBe(0);
      expect(await partitionsOf(db, 'failed_registrations')).toContain(`failed_registrations_p${day}`);
    } finally {
      await reader.query('ROLLBACK');
      await reader.end();
    }
    // The next pass comes once no other session is busy in the database: the app's own background work (a look
    // of the ban engine over this populated table) can hold the table for a while on a loaded machine, and that
    // pass would then wait out its bound as it did behind the long query.
    await waitFor(async () => ((await busySessions(db)) === 0 ? true : undefined));
    const next = await t!.app.get(EventRetentionService).purgeExpiredEvents();
    expect(next?.failed_registrations.droppedPartitions).toBe(1);
    expect(await partitionsOf(db, 'failed_registrations')).not.toContain(`failed_registrations_p${day}`);
  });

  it('converts back to plain tables on revert, every row kept', async () => {
    await t?.close();
    t = undefined;
    const beforeRevert = {
      failed: await rowDigests(db, 'failed_registrations'),
      knocks: await rowDigests(db, 'door_knock_attempts'),
    };
    // Later migrations first, as `migration:revert` run once per migration would.
    await withMigrations(database.url, async (dataSource) => {
      const partitioned = async () =>
        (
          await dataSource.query<unknown[]>(`SELECT 1 FROM migrations WHERE name = $1`, [
            PartitionSipEvents1764000007400.name,
          ])
        ).length > 0;
      while (await partitioned()) await dataSource.undoLastMigration({ transaction: 'each' });
    });
    expect(await rowDigests(db, 'failed_registrations')).toEqual(beforeRevert.failed);
    expect(await rowDigests(db, 'door_knock_attempts')).toEqual(beforeRevert.knocks);
    const { rows } = await db.query<{ kind: string; key: string; granted: boolean }>(
      `SELECT relkind AS kind, has_table_privilege($1, oid, 'INSERT') AS granted,
              (SELECT pg_get_constraintdef(k.oid) FROM pg_constraint k WHERE k.conrelid = c.oid AND k.contype = 'p') AS key
         FROM pg_class c WHERE oid = 'failed_registrations'::regclass`,
      [proxyRole],
    );
    expect(rows).toEqual([{ kind: 'r', key: 'PRIMARY KEY (id)', granted: true }]);
    expect(await partitionsOf(db, 'failed_registrations')).toEqual([]);
  });
});

/** Other sessions of this database running a statement or holding a transaction open (and so, maybe, a lock). */
async function busySessions(db: Client): Promise<number> {
  const { rows } = await db.query<{ n: number }>(
    `SELECT count(*)::int AS n FROM pg_stat_activity
      WHERE datname = current_database() AND pid <> pg_backend_pid()
        AND (state IN ('active', 'idle in transaction') OR xact_start IS NOT NULL)`,
  );
  return rows[0].n;
}
