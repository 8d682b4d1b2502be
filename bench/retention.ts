import { randomBytes } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { DataSource } from 'typeorm';
import { AppConfig } from '../src/config/app-config';
import { buildDataSourceOptions, MIGRATIONS } from '../src/database/data-source-options';
import { EmbeddedDatabase } from '../src/database/embedded-database';
import { PartitionSipEvents1764000007400 } from '../src/database/migrations/1764000007400-PartitionSipEvents';
import { EventPartitionsRepository } from '../src/sip-security/event-partitions.repository';
import { EventRetentionService, RETENTION_BATCH_SIZE } from '../src/sip-security/event-retention.service';
import { RETENTION_START, RetentionCursor, SipEventsRepository } from '../src/sip-security/sip-events.repository';
import { withClient } from './pg-client';
import { machineNote, writeReportSection } from './report';

/**
 * `npm run build && node dist/bench/retention.js`: one retention pass over BENCH_EXPIRED_ROWS (default
 * 1000000) expired failed registrations, before partitioning (a plain table, the batched DELETE retention ran
 * until migration PartitionSipEvents) and after it (the same rows in daily partitions, dropped whole), with
 * BENCH_KEPT_ROWS newer rows beside them in both; and how long that migration takes to convert the plain table.
 * Two databases on DATABASE_URL's server, or on an embedded PostgreSQL; its own section of docs/BENCHMARKS.md.
 */
const EXPIRED_ROWS = Number(process.env.BENCH_EXPIRED_ROWS ?? 1_000_000);
const KEPT_ROWS = Number(process.env.BENCH_KEPT_ROWS ?? 100_000);
const RETENTION_DAYS = 90;
/** The expired rows are spread over these days past the retention: as many daily partitions. */
const EXPIRED_SPAN_DAYS = 10;
/** The service's pause between two DELETE batches (EventRetentionService). */
const PAUSE_BETWEEN_BATCHES_MS = 100;

interface Row {
  what: string;
  result: string;
}

async function createDatabase(serverUrl: string): Promise<{ url: string; drop(): Promise<void> }> {
  const name = `regshield_bench_retention_${randomBytes(4).toString('hex')}`;
  await withClient(serverUrl, (client) => client.query(`CREATE DATABASE ${name}`));
  const url = new URL(serverUrl);
  url.pathname = `/${name}`;
  return {
    url: url.toString(),
    drop: async () => {
      await withClient(serverUrl, (client) => client.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`));
    },
  };
}

function openDataSource(url: string, migrations = MIGRATIONS): Promise<DataSource> {
  return new DataSource({
    ...buildDataSourceOptions(url),
    migrations,
    migrationsRun: false,
    logging: false,
  }).initialize();
}

/** The schema as it was before partitioning, with the expired and the kept rows. */
async function populatedBeforePartitioning(url: string): Promise<DataSource> {
  const dataSource = await openDataSource(
    url,
    MIGRATIONS.slice(0, MIGRATIONS.indexOf(PartitionSipEvents1764000007400)),
  );
  await dataSource.runMigrations({ transaction: 'each' });
  for (const [count, newest, span] of [
    [EXPIRED_ROWS, RETENTION_DAYS + 1, EXPIRED_SPAN_DAYS],
    [KEPT_ROWS, 0, RETENTION_DAYS - 1],
  ]) {
    await dataSource.query(
      `INSERT INTO failed_registrations (username, domain, source_ip, source_port, user_agent, response_code,
                                         response_reason, created_at)
       SELECT 'user' || (i % 1000), 'sip.example.com', ('10.' || (i % 250) || '.' || (i % 199) || '.1')::inet, 5060,
              'friendly-scanner', 403, 'Forbidden',
              now() - make_interval(days => $2) - ($3 * 86400.0 * i / $1) * interval '1 second'
         FROM generate_series(1, $1) i`,
      [count, newest, span],
    );
  }
  await dataSource.query('VACUUM (ANALYZE) failed_registrations');
  return dataSource;
}

const seconds = (started: number) => ((performance.now() - started) / 1000).toFixed(2);

async function beforePartitioning(serverUrl: string): Promise<Row> {
  const database = await createDatabase(serverUrl);
  const dataSource = await populatedBeforePartitioning(database.url);
  try {
    const repository = new SipEventsRepository(dataSource);
    const started = performance.now();
    // The pass as EventRetentionService ran it on the plain table: batches in (created_at, id) order.
    const deleted = await repository.withRetentionLock(async (session) => {
      const cutoff = await repository.findRetentionCutoff(session, { days: RETENTION_DAYS, seconds: 0 });
      let total = 0;
      let from: RetentionCursor | undefined = RETENTION_START;
      while (from) {
        const batch = await repository.deleteExpiredEvents(
          session,
          'failed_registrations',
          cutoff,
          from,
          RETENTION_BATCH_SIZE,
        );
        total += batch.deleted;
        from = batch.deleted < RETENTION_BATCH_SIZE ? undefined : batch.last;
        if (from) await sleep(PAUSE_BETWEEN_BATCHES_MS);
      }
      return total;
    });
    return {
      what: `Before partitioning: ${EXPIRED_ROWS} expired rows of ${EXPIRED_ROWS + KEPT_ROWS} deleted in batches of ${RETENTION_BATCH_SIZE} (${PAUSE_BETWEEN_BATCHES_MS} ms between batches)`,
      result: `**${seconds(started)} s** (${deleted} rows deleted)`,
    };
  } finally {
    await dataSource.destroy();
    await database.drop();
  }
}

async function afterPartitioning(serverUrl: string): Promise<Row[]> {
  const database = await createDatabase(serverUrl);
  const before = await populatedBeforePartitioning(database.url);
  await before.destroy();
  const dataSource = await openDataSource(database.url);
  try {
    const converting = performance.now();
    await dataSource.runMigrations({ transaction: 'each' });
    const conversion = seconds(converting);
    const retention = new EventRetentionService(
      new SipEventsRepository(dataSource),
      new EventPartitionsRepository(dataSource),
      { sipEventRetentionDays: RETENTION_DAYS, sipAccounts: { historyDays: 30, trustTtlSeconds: 86_400 } } as AppConfig,
    );
    const started = performance.now();
    const result = await retention.purgeExpiredEvents();
    const pass = seconds(started);
    const [{ kept }] = await dataSource.query<Array<{ kept: number }>>(
      'SELECT count(*)::int AS kept FROM failed_registrations',
    );
    return [
      {
        what: `Migration PartitionSipEvents on the same ${EXPIRED_ROWS + KEPT_ROWS} rows (copied into daily partitions, indexes built, ANALYZE; the table locked meanwhile)`,
        result: `${conversion} s`,
      },
      {
        what: `After partitioning: the same ${EXPIRED_ROWS} expired rows in their days' partitions, one EventRetentionService pass`,
        result: `**${pass} s**: ${result?.failed_registrations.droppedPartitions} partitions dropped, ${result?.failed_registrations.deletedRows} rows deleted in batches; ${kept} rows kept`,
      },
    ];
  } finally {
    await dataSource.destroy();
    await database.drop();
  }
}

async function main(): Promise<void> {
  const embedded = process.env.DATABASE_URL
    ? undefined
    : new EmbeddedDatabase(mkdtempSync(join(tmpdir(), 'regshield-bench-retention-')), console);
  const serverUrl = process.env.DATABASE_URL ?? (await embedded!.start());
  const rows = [await beforePartitioning(serverUrl), ...(await afterPartitioning(serverUrl))];
  const [{ version }] = await withClient(
    serverUrl,
    async (client) =>
      (await client.query<{ version: string }>(`SELECT current_setting('server_version') AS version`)).rows,
  );
  const table = rows.map((row) => `| ${row.what} | ${row.result} |`).join('\n');
  writeReportSection(
    resolve(__dirname, '../../docs/BENCHMARKS.md'),
    'bench:retention',
    `## SIP event retention: batched DELETE against dropping daily partitions (\`bench/retention.ts\`)

Written by \`npm run build && node dist/bench/retention.js\`${process.env.DATABASE_URL ? ' with DATABASE_URL set' : ''}: PostgreSQL ${version}, \`SIP_EVENT_RETENTION_DAYS=${RETENTION_DAYS}\`.
The expired rows are spread over the ${EXPIRED_SPAN_DAYS} × 24 hours before the cutoff (${EXPIRED_SPAN_DAYS + 1} UTC days, as many partitions), the kept ones over the ${RETENTION_DAYS - 1} days after it.

- Date: ${new Date().toISOString()}
- Machine: ${machineNote()}

| what | result |
|---|---|
${table}
`,
  );
  console.log(table);
  await embedded?.stop();
}

void main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
