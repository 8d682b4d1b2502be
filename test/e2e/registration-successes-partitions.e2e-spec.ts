import { randomBytes } from 'node:crypto';
import { Client } from 'pg';
import { DataSource, EntityManager } from 'typeorm';
import { MIGRATIONS } from '../../src/database/data-source-options';
import { PartitionRegistrationSuccesses1764000008200 } from '../../src/database/migrations/1764000008200-PartitionRegistrationSuccesses';
import { EventPartitionsService } from '../../src/sip-security/event-partitions.service';
import { EventRetentionService } from '../../src/sip-security/event-retention.service';
import { RegistrationSuccessesRepository } from '../../src/sip-accounts/registration-successes.repository';
import { startTestApp, TestApp } from '../support/test-app';
import { createDatabaseWith, dropTestRole, migrate, withMigrations } from '../support/test-database';
import { waitFor } from '../support/wait';

const DOMAIN = 'sip.example.com';
/** Shorter than the account rules read back: registration_successes keeps SIP_TRUST_TTL (40 days) instead. */
const RETENTION_DAYS = 7;
const TRUST_TTL_DAYS = 40;

/** Every row as (id, a digest of the whole row), in id order. */
async function rowDigests(db: Client, where = 'true'): Promise<Array<{ id: string; digest: string }>> {
  const { rows } = await db.query<{ id: string; digest: string }>(
    `SELECT id::text AS id, md5(t::text) AS digest FROM registration_successes t WHERE ${where} ORDER BY id`,
  );
  return rows;
}

async function partitionsOf(db: Client, table = 'registration_successes'): Promise<string[]> {
  const { rows } = await db.query<{ name: string }>(
    `SELECT c.relname AS name FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid
      WHERE i.inhparent = $1::regclass ORDER BY 1`,
    [table],
  );
  return rows.map((row) => row.name);
}

async function daySuffix(db: Client, offset: number): Promise<string> {
  const { rows } = await db.query<{ day: string }>(
    `SELECT to_char((now() AT TIME ZONE 'UTC')::date + $1::int, 'YYYYMMDD') AS day`,
    [offset],
  );
  return rows[0].day;
}

async function watchedUpTo(db: Client): Promise<string> {
  const { rows } = await db.query<{ id: string }>(
    'SELECT last_registration_id::text AS id FROM sip_account_watch_state',
  );
  return rows[0].id;
}

async function alerts(db: Client): Promise<Array<{ kind: string; username: string; registration_id: string }>> {
  const { rows } = await db.query<{ kind: string; username: string; registration_id: string }>(
    `SELECT kind, username, registration_id::text AS registration_id FROM sip_account_alerts ORDER BY id`,
  );
  return rows;
}

/** The plan of the account watch's statement for its next `batch` successes after `afterId` (the app's rules). */
async function explainWatch(t: TestApp, afterId: string, batch: number): Promise<string> {
  const repository = t.app.get(RegistrationSuccessesRepository);
  const horizon = await repository.findSettledHorizon();
  if (horizon === undefined) throw new Error('an insert transaction held registration_successes');
  let plan = '';
  await t.app.get(DataSource).transaction(async (tx) => {
    const explaining = {
      query: async (sql: string, parameters: unknown[]) => {
        if (!sql.trimStart().startsWith('WITH fresh')) return tx.query(sql, parameters);
        const lines = await tx.query<Array<{ 'QUERY PLAN': string }>>(`EXPLAIN (COSTS OFF) ${sql}`, parameters);
        plan = lines.map((line) => line['QUERY PLAN']).join('\n');
        return [];
      },
    } as unknown as EntityManager;
    await repository.findSuccessesWithFacts(explaining, afterId, horizon, {
      findTimeSeconds: 600,
      ipv6Prefix: 64,
      trustTtlSeconds: TRUST_TTL_DAYS * 86_400,
      historyDays: 30,
      batch,
    });
  });
  return plan;
}

/** The partitions of `table` a plan reads under `alias` (r_1, r_2… for a partitioned table), oldest first. */
function scanned(plan: string, table: string, alias: string): string[] {
  const found = plan.matchAll(new RegExp(`on (${table}_\\w+) ${alias}(?:_\\d+)?\\b`, 'g'));
  return [...new Set([...found].map((match) => match[1]))].sort();
}

/**
 * registration_successes, the third table the proxy writes, converted to daily partitions on a populated
 * database (rows over 125 days, the account watch part way through them), then kept up and trimmed by the same
 * upkeep and retention as the other event tables, with its longer keep.
 */
describe('registration_successes partitioned by day (migration on a populated table, watch, upkeep, retention)', () => {
  jest.setTimeout(240_000);
  const proxyRole = `regshield_test_proxy_${randomBytes(4).toString('hex')}`;
  let database: { url: string; drop(): Promise<void> };
  let db: Client;
  let t: TestApp | undefined;
  let before: Array<{ id: string; digest: string }>;
  /** The last success the watch had evaluated before the migration; and the two it had not. */
  let watched: string;
  let pending: { newNetwork: string; knownNetwork: string };

  beforeAll(async () => {
    ({ database, db } = await createDatabaseWith(
      MIGRATIONS.slice(0, MIGRATIONS.indexOf(PartitionRegistrationSuccesses1764000008200)),
    ));
    // 3 000 successes, one an hour back over 125 days (so older than the 100 daily partitions too): 50 accounts,
    // each from 4 addresses of its own /24.
    await db.query(
      `INSERT INTO registration_successes (username, domain, source_ip, source_port, user_agent, created_at)
       SELECT 'u' || (i % 50), $1, ('10.' || (i % 50) || '.0.' || (i % 200 + 1))::inet, 5060,
              CASE WHEN i % 7 = 0 THEN NULL ELSE 'phone ' || i END, now() - i * interval '1 hour'
         FROM generate_series(1, 3000) i`,
      [DOMAIN],
    );
    // Evaluated already (it would alert if evaluated again: a new network for u5).
    const evaluated = await db.query<{ id: string }>(
      `INSERT INTO registration_successes (username, domain, source_ip, created_at)
       VALUES ('u5', $1, '198.51.100.5', now() - interval '30 minutes') RETURNING id::text AS id`,
      [DOMAIN],
    );
    watched = evaluated.rows[0].id;
    await db.query('UPDATE sip_account_watch_state SET last_registration_id = $1', [watched]);
    // Not evaluated yet when the migration runs: one from a new network, one from the account's own.
    const { rows } = await db.query<{ id: string }>(
      `INSERT INTO registration_successes (username, domain, source_ip, created_at)
       VALUES ('u1', $1, '203.0.113.10', now() - interval '2 minutes'),
              ('u2', $1, '10.2.0.250', now() - interval '1 minute')
       RETURNING id::text AS id`,
      [DOMAIN],
    );
    pending = { newNetwork: rows[0].id, knownNetwork: rows[1].id };
    await db.query(`CREATE ROLE ${proxyRole}`);
    await db.query(`GRANT INSERT ON registration_successes, regshield_proxy_event_queue TO ${proxyRole}`);
    await db.query(`GRANT USAGE ON SEQUENCE registration_successes_id_seq TO ${proxyRole}`);
    before = await rowDigests(db);

    await migrate(database.url);
  });
  afterAll(async () => {
    await t?.close();
    await db?.end();
    await database?.drop();
    await dropTestRole(proxyRole);
  });

  it('keeps every row with its id and values, the watch state, and the sequence', async () => {
    expect(before).toHaveLength(3003);
    expect(await rowDigests(db)).toEqual(before);
    const { rows } = await db.query<{ kind: string }>(
      `SELECT relkind AS kind FROM pg_class WHERE oid = 'registration_successes'::regclass`,
    );
    expect(rows[0].kind).toBe('p');
    expect(await watchedUpTo(db)).toBe(watched);
    const owner = await db.query<{ owner: string }>(
      `SELECT pg_get_serial_sequence('registration_successes', 'id') AS owner`,
    );
    expect(owner.rows[0].owner).toBe('public.registration_successes_id_seq');
  });

  it('has a partition per day from 100 days back to a week ahead, an archive of older rows and a DEFAULT one', async () => {
    const partitions = await partitionsOf(db);
    const days = partitions.filter((name) => /^registration_successes_p\d{8}$/.test(name));
    expect(days).toHaveLength(108);
    expect(days[0]).toBe(`registration_successes_p${await daySuffix(db, -100)}`);
    expect(days.at(-1)).toBe(`registration_successes_p${await daySuffix(db, 7)}`);
    expect(partitions).toEqual(
      expect.arrayContaining(['registration_successes_archive', 'registration_successes_default']),
    );
    expect(partitions).toHaveLength(110);
    const { rows } = await db.query<{ partition: string; n: number }>(
      `SELECT tableoid::regclass::text AS partition, count(*)::int AS n FROM registration_successes
        WHERE created_at < now() - interval '101 days' GROUP BY 1`,
    );
    expect(rows).toEqual([{ partition: 'registration_successes_archive', n: expect.any(Number) as number }]);
  });

  it('has its indexes on each partition, the primary key (id, created_at), its grants and its wake-up trigger', async () => {
    const names = await db.query<{ name: string }>(
      `SELECT indexrelid::regclass::text AS name FROM pg_index WHERE indrelid = 'registration_successes'::regclass
        ORDER BY 1`,
    );
    expect(names.rows.map((row) => row.name)).toEqual([
      'registration_successes_account_idx',
      'registration_successes_created_at_idx',
      'registration_successes_pkey',
      'registration_successes_source_idx',
    ]);
    const { rows } = await db.query<{ partition: string; indexes: number }>(
      `SELECT c.relname AS partition, (SELECT count(*)::int FROM pg_index x WHERE x.indrelid = c.oid) AS indexes
         FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid
        WHERE i.inhparent = 'registration_successes'::regclass`,
    );
    for (const row of rows) expect(row).toEqual({ partition: row.partition, indexes: 4 });
    const key = await db.query<{ definition: string }>(
      `SELECT pg_get_constraintdef(oid) AS definition FROM pg_constraint
        WHERE conrelid = 'registration_successes'::regclass AND contype = 'p'`,
    );
    expect(key.rows).toEqual([{ definition: 'PRIMARY KEY (id, created_at)' }]);
    const granted = await db.query<{ insert: boolean }>(
      `SELECT has_table_privilege($1, 'registration_successes', 'INSERT') AS insert`,
      [proxyRole],
    );
    expect(granted.rows[0].insert).toBe(true);
    const triggers = await db.query<{ name: string; definition: string }>(
      `SELECT tgname AS name, pg_get_triggerdef(oid) AS definition FROM pg_trigger
        WHERE tgrelid = 'registration_successes'::regclass AND NOT tgisinternal`,
    );
    expect(triggers.rows).toEqual([
      {
        name: 'registration_successes_announce',
        definition: expect.stringMatching(
          /AFTER INSERT ON public\.registration_successes FOR EACH STATEMENT EXECUTE FUNCTION regshield_notify_inserts\(\)/,
        ) as string,
      },
    ]);
  });

  it('the account watch resumes from its last id: only the successes after it are evaluated', async () => {
    t = await startTestApp({
      databaseUrl: database.url,
      env: {
        SIP_EVENT_RETENTION_DAYS: String(RETENTION_DAYS),
        SIP_ACCOUNT_HISTORY_DAYS: '30',
        SIP_TRUST_TTL: String(TRUST_TTL_DAYS * 86_400),
      },
    });
    await waitFor(async () => ((await watchedUpTo(db)) === pending.knownNetwork ? true : undefined));
    expect(await alerts(db)).toEqual([{ kind: 'new_network', username: 'u1', registration_id: pending.newNetwork }]);
  });

  it("takes the proxy's direct INSERT and its stop-time queue: today's partition, announced, ids after every earlier one", async () => {
    const listener = new Client({ connectionString: database.url });
    await listener.connect();
    const announced: string[] = [];
    listener.on('notification', (message) => announced.push(message.payload ?? ''));
    await listener.query('LISTEN regshield_inserts');
    try {
      const proxy = new Client({ connectionString: database.url });
      await proxy.connect();
      try {
        await proxy.query(`SET ROLE ${proxyRole}`);
        // As kamailio.cfg writes it: the columns, the database's default id and time.
        await proxy.query(
          `INSERT INTO registration_successes (username, domain, source_ip, source_port, user_agent)
           VALUES ('u4', $1, '198.51.100.44', 5060, 'proxy-shaped')`,
          [DOMAIN],
        );
        await proxy.query(`INSERT INTO regshield_proxy_event_queue (key, val) VALUES ('registration_successes', $1)`, [
          `('u3', '${DOMAIN}', '10.3.0.9', 5060, 'queued', now())`,
        ]);
      } finally {
        await proxy.end();
      }
      await waitFor(async () => (announced.length >= 2 ? true : undefined));
      expect(announced).toEqual(['registration_successes', 'registration_successes']);
    } finally {
      await listener.end();
    }
    const { rows } = await db.query<{ id: string; username: string; partition: string }>(
      `SELECT id::text AS id, username, tableoid::regclass::text AS partition FROM registration_successes
        WHERE user_agent IN ('proxy-shaped', 'queued') ORDER BY id`,
    );
    const today = `registration_successes_p${await daySuffix(db, 0)}`;
    expect(rows.map(({ username, partition }) => ({ username, partition }))).toEqual([
      { username: 'u4', partition: today },
      { username: 'u3', partition: today },
    ]);
    expect(BigInt(rows[0].id)).toBeGreaterThan(BigInt(before.at(-1)!.id));
    // The watch reads them from its id on: a new network for u4, u3's own network for u3.
    await waitFor(async () => ((await watchedUpTo(db)) === rows[1].id ? true : undefined));
    expect(await alerts(db)).toEqual([
      { kind: 'new_network', username: 'u1', registration_id: pending.newNetwork },
      { kind: 'new_network', username: 'u4', registration_id: rows[0].id },
    ]);
  });

  it("reads only the days its batch's rules need, and still evaluates a success replayed with an old time", async () => {
    const watched = await watchedUpTo(db);
    // As the proxy's queue replays after an outage: a later id, an event time 20 days back (a new network for u6).
    const { rows } = await db.query<{ id: string }>(
      `INSERT INTO registration_successes (username, domain, source_ip, created_at)
       VALUES ('u7', $1, '10.7.0.77', now()), ('u6', $1, '203.0.113.66', now() - interval '20 days')
       RETURNING id::text AS id`,
      [DOMAIN],
    );
    const [fresh, replayed] = rows.map((row) => row.id);

    // The watch's own statement, explained: a batch of today's success scans today's partition only, and the
    // rules' reads start at their windows (SIP_ACCOUNT_HISTORY_DAYS=30, SIP_TRUST_TTL 40 days) before it.
    const plan = await explainWatch(t!, watched, 1);
    const today = await daySuffix(db, 0);
    expect(scanned(plan, 'registration_successes', 'r')).toEqual([`registration_successes_p${today}`]);
    const failures = scanned(plan, 'failed_registrations', 'f');
    expect(failures).toContain(`failed_registrations_p${today}`);
    expect(failures.length).toBeLessThanOrEqual(2);
    for (const [alias, days] of [
      ['h', 30],
      ['p', TRUST_TTL_DAYS],
    ] as const) {
      const read = scanned(plan, 'registration_successes', alias);
      expect(read).not.toContain('registration_successes_archive');
      const daily = read.filter((name) => /_p\d{8}$/.test(name));
      expect(daily[0] >= `registration_successes_p${await daySuffix(db, -days - 1)}`).toBe(true);
      expect(daily.length).toBeLessThanOrEqual(days + 2 + 7);
    }
    // The replayed success in the batch widens its span to its own day: nothing of its 20 days is left out.
    const wider = await explainWatch(t!, watched, 2);
    expect(scanned(wider, 'registration_successes', 'r')).toEqual(
      expect.arrayContaining([
        `registration_successes_p${await daySuffix(db, -20)}`,
        `registration_successes_p${today}`,
      ]),
    );

    await waitFor(async () => ((await watchedUpTo(db)) === replayed ? true : undefined));
    const raised = await alerts(db);
    expect(raised.at(-1)).toEqual({ kind: 'new_network', username: 'u6', registration_id: replayed });
    expect(raised.map((alert) => alert.registration_id)).not.toContain(fresh);
  });

  it('creates its partitions ahead, as for the other event tables', async () => {
    const ahead = `registration_successes_p${await daySuffix(db, 7)}`;
    await db.query(`DROP TABLE ${ahead}`);
    const partitions = t!.app.get(EventPartitionsService);
    const passes = await Promise.all([partitions.createPartitionsAhead(), partitions.createPartitionsAhead()]);
    expect(passes.map((created) => created.registration_successes ?? 0).sort()).toEqual([0, 1]);
    expect(await partitionsOf(db)).toContain(ahead);
  });

  it(`drops its whole days older than SIP_TRUST_TTL (${TRUST_TTL_DAYS} days), not SIP_EVENT_RETENTION_DAYS=${RETENTION_DAYS}`, async () => {
    const expired = `created_at < now() - make_interval(days => ${TRUST_TTL_DAYS})`;
    const kept = await rowDigests(db, `NOT (${expired})`);
    expect(kept.length).toBeGreaterThan(0);
    const { rows: eightDaysOld } = await db.query(
      `SELECT 1 FROM registration_successes WHERE created_at < now() - interval '8 days'
          AND created_at > now() - interval '39 days'`,
    );
    expect(eightDaysOld.length).toBeGreaterThan(500);
    // The other event tables keep SIP_EVENT_RETENTION_DAYS.
    await db.query(
      `INSERT INTO failed_registrations (username, source_ip, response_code, created_at)
       VALUES ('old', '192.0.2.90', 403, now() - interval '10 days'), ('recent', '192.0.2.90', 403, now() - interval '3 days')`,
    );

    await t!.app.get(EventRetentionService).purgeExpiredEvents({ batchSize: 50, pauseMs: 0 });

    // The archive and the days 41 to 100 back went whole (here, or in the service's own first pass); the day
    // the cutoff falls in stays, its older rows deleted in batches.
    const partitions = await partitionsOf(db);
    expect(partitions).toHaveLength(110 - 61);
    expect(partitions).not.toContain('registration_successes_archive');
    expect(partitions).toContain(`registration_successes_p${await daySuffix(db, -TRUST_TTL_DAYS)}`);
    expect(partitions).not.toContain(`registration_successes_p${await daySuffix(db, -TRUST_TTL_DAYS - 1)}`);
    expect((await db.query(`SELECT 1 FROM registration_successes WHERE ${expired}`)).rows).toEqual([]);
    expect(await rowDigests(db, `NOT (${expired})`)).toEqual(kept);
    const failed = await db.query<{ username: string }>(
      `SELECT username FROM failed_registrations WHERE username IN ('old', 'recent')`,
    );
    expect(failed.rows).toEqual([{ username: 'recent' }]);
  });

  it('converts back to a plain table on revert: every row, its trigger and grants kept', async () => {
    await t?.close();
    t = undefined;
    const beforeRevert = await rowDigests(db);
    await withMigrations(database.url, (dataSource) => dataSource.undoLastMigration({ transaction: 'each' }));
    expect(await rowDigests(db)).toEqual(beforeRevert);
    const { rows } = await db.query<{ kind: string; key: string; granted: boolean; triggers: string[] }>(
      `SELECT relkind AS kind, has_table_privilege($1, oid, 'INSERT') AS granted,
              (SELECT pg_get_constraintdef(k.oid) FROM pg_constraint k WHERE k.conrelid = c.oid AND k.contype = 'p') AS key,
              ARRAY(SELECT tgname::text FROM pg_trigger WHERE tgrelid = c.oid AND NOT tgisinternal) AS triggers
         FROM pg_class c WHERE oid = 'registration_successes'::regclass`,
      [proxyRole],
    );
    expect(rows).toEqual([
      { kind: 'r', key: 'PRIMARY KEY (id)', granted: true, triggers: ['registration_successes_announce'] },
    ]);
    expect(await partitionsOf(db)).toEqual([]);
    const indexes = await db.query<{ n: number }>(
      `SELECT count(*)::int AS n FROM pg_index WHERE indrelid = 'registration_successes'::regclass`,
    );
    expect(indexes.rows[0].n).toBe(4);
  });
});
