import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client } from 'pg';
import { BUILT_MAIN, freePort, ServiceProcess, serviceEnv } from '../support/service-process';

function serverUrl(): string {
  const url = process.env.TEST_SERVER_URL;
  if (!url) throw new Error('TEST_SERVER_URL is not set: run the e2e tests through jest (global-setup.ts)');
  return url;
}

/** The test server's URL with another database and, when given, another role. */
function urlFor(database: string, role?: { name: string; password: string }): string {
  const url = new URL(serverUrl());
  url.pathname = `/${database}`;
  if (role) {
    url.username = role.name;
    url.password = role.password;
  }
  return url.toString();
}

async function asServer<T>(work: (client: Client) => Promise<T>): Promise<T> {
  const client = new Client({ connectionString: serverUrl() });
  await client.connect();
  try {
    return await work(client);
  } finally {
    await client.end();
  }
}

/**
 * The built service started on a DATABASE_URL whose database does not exist: it creates it when its role
 * may, and otherwise stops at once with one line saying what to run (TypeORM alone retried for 30 s,
 * printing a stack trace each time).
 */
describe('Start-up on a database that does not exist', () => {
  jest.setTimeout(90_000);
  // Upper case and a quote: the name must be quoted as an identifier, not pasted into the statement.
  const missing = `regshield_New"Db_${randomBytes(4).toString('hex')}`;
  const refused = `regshield_refused_${randomBytes(4).toString('hex')}`;
  const role = { name: `regshield_nocreate_${randomBytes(4).toString('hex')}`, password: 'role-password-1' };
  const emptyDir = mkdtempSync(join(tmpdir(), 'regshield-cwd-'));
  let service: ServiceProcess | undefined;

  beforeAll(async () => {
    await asServer((client) =>
      client.query(`CREATE ROLE ${role.name} LOGIN NOCREATEDB NOSUPERUSER PASSWORD '${role.password}'`),
    );
  });

  afterAll(async () => {
    await service?.kill();
    await asServer(async (client) => {
      await client.query(`DROP DATABASE IF EXISTS ${client.escapeIdentifier(missing)} WITH (FORCE)`);
      await client.query(`DROP ROLE IF EXISTS ${role.name}`);
    });
  });

  it('creates the database when its role may, logs that it did, and serves', async () => {
    const port = await freePort();
    service = new ServiceProcess(
      'service',
      serviceEnv({
        DATABASE_URL: urlFor(missing),
        DATA_DIR: mkdtempSync(join(tmpdir(), 'regshield-data-')),
        PORT: String(port),
      }),
    );
    await service.start();
    expect((await fetch(service.url('/health'))).status).toBe(200);
    expect(service.output).toContain(`Created the database \\"${missing.replace('"', '\\"')}\\"`);
    const exists = await asServer((client) => client.query('SELECT 1 FROM pg_database WHERE datname = $1', [missing]));
    expect(exists.rowCount).toBe(1);
    expect(await service.stop()).toBe(0);
  });

  it('stops at once with one line naming the database and what to run when its role may not create it', async () => {
    const startedAt = Date.now();
    const result = spawnSync(process.execPath, [BUILT_MAIN], {
      env: serviceEnv({
        DATABASE_URL: urlFor(refused, role),
        DATA_DIR: mkdtempSync(join(tmpdir(), 'regshield-data-')),
        PORT: String(await freePort()),
      }),
      cwd: emptyDir,
      encoding: 'utf8',
      timeout: 30_000,
    });
    const elapsedMs = Date.now() - startedAt;

    expect(result.status).toBe(1);
    expect(elapsedMs).toBeLessThan(15_000);
    const lines = result.stderr.trim().split('\n');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toContain(`Database "${refused}" does not exist`);
    expect(lines[0]).toContain(`role "${role.name}" could not create it`);
    expect(lines[0]).toContain(`createdb -h`);
    expect(result.stdout + result.stderr).not.toMatch(/\n\s+at /);
    expect(result.stdout + result.stderr).not.toContain(role.password);
    const exists = await asServer((client) => client.query('SELECT 1 FROM pg_database WHERE datname = $1', [refused]));
    expect(exists.rowCount).toBe(0);
  });
});
