import { spawnSync, SpawnSyncReturns } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import {
  chmodSync,
  copyFileSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  utimesSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { Client } from 'pg';
import { NestFactory } from '@nestjs/core';
import { AccountRetentionService } from '../../src/account/account-retention.service';
import { SignupDigestWorker } from '../../src/account/signup-digest.worker';
import { AuditRetentionService } from '../../src/audit/audit-retention.service';
import { AuditRepository } from '../../src/audit/audit.repository';
import { AdminProvisioningService } from '../../src/auth/admin-provisioning.service';
import { AuthStateCache } from '../../src/auth/auth-state/auth-state-cache.service';
import { CliModule } from '../../src/cli/cli.module';
import { SecurityLogService } from '../../src/common/security-log.service';
import { loadConfig } from '../../src/config/app-config';
import { OutboxRetentionService } from '../../src/mail/outbox-retention.service';
import { OutboxWorker } from '../../src/mail/outbox.worker';
import { SessionRetentionService } from '../../src/sessions/session-retention.service';
import { BanEngineService } from '../../src/sip-security/ban-engine.service';
import { BanIndexService } from '../../src/sip-security/ban-index.service';
import { EventRetentionService } from '../../src/sip-security/event-retention.service';
import { ProxySyncService } from '../../src/sip-security/proxy-sync.service';
import { freePort, serviceEnv } from '../support/service-process';
import { createTestDatabase } from '../support/test-database';

const ROOT = resolve(__dirname, '../..');
/** The built CLI (`npm run build`; npm test does it), run as `npm run cli` runs it. */
const BUILT_CLI = join(ROOT, 'dist/src/cli/main.js');
const PASSWORD = 'CliAdmin123';

/** The CLI in `cwd` (where it reads `.env`), with no DATABASE_URL in its environment unless `env` sets one. */
function runCli(cwd: string, args: string[], env: Record<string, string> = {}): SpawnSyncReturns<string> {
  return spawnSync(process.execPath, [BUILT_CLI, ...args], {
    cwd,
    env: serviceEnv({ DATA_DIR: join(cwd, 'data'), ...env }),
    encoding: 'utf8',
    timeout: 60_000,
  });
}

describe('The admin CLI on a DATABASE_URL', () => {
  jest.setTimeout(90_000);
  let database: { url: string; drop(): Promise<void> };
  let db: Client;
  let name: string;
  let cwd: string;

  beforeAll(async () => {
    database = await createTestDatabase();
    name = new URL(database.url).pathname.slice(1);
    db = new Client({ connectionString: database.url });
    await db.connect();
    cwd = mkdtempSync(join(tmpdir(), 'regshield-cli-'));
    // Only the .env in its working directory says where the database is, as for the service.
    writeFileSync(join(cwd, '.env'), `DATABASE_URL=${database.url}\nREGSHIELD_ADMIN_PASSWORD=${PASSWORD}\n`);
  });

  afterAll(async () => {
    await db.end();
    await database.drop();
  });

  it('creates the superuser in the database its .env names and says which database that is', async () => {
    const result = runCli(cwd, ['create-admin', '--email', 'Cli@Example.com', '--name', 'Cli Admin']);

    expect(result.stderr).toBe('');
    expect(result.status).toBe(0);
    expect(result.stdout).toContain('cli@example.com is an active superuser');
    const { hostname, port } = new URL(database.url);
    expect(result.stdout).toContain(`Database: "${name}" on ${hostname}:${port}`);
    expect(result.stdout).not.toContain(PASSWORD);
    const users = await db.query('SELECT is_superuser, status FROM users WHERE email = $1', ['cli@example.com']);
    expect(users.rows).toEqual([{ is_superuser: true, status: 'active' }]);
  });

  it("runs none of the service's background work: its audit pruner's first pass, at start, would delete this", async () => {
    // Past AUDIT_RETENTION_DAYS: the service (AppModule) deletes it at start.
    const old = await db.query<{ id: string }>(
      `INSERT INTO audit_events (time, event, details) VALUES (now() - interval '800 days', 'login_failed', '{}') RETURNING id`,
    );
    const result = runCli(cwd, ['create-admin', '--email', 'second@example.com']);
    expect(result.stderr).toBe('');
    expect(result.status).toBe(0);
    expect((await db.query('SELECT 1 FROM audit_events WHERE id = $1', [old.rows[0].id])).rowCount).toBe(1);
  });

  it('is built from a module without any worker, pruner, ban engine, ban index or proxy sync', async () => {
    const config = loadConfig({ NODE_ENV: 'test', DATABASE_URL: database.url, LOG_LEVEL: 'silent' });
    const context = await NestFactory.createApplicationContext(CliModule.forRoot(config, database.url), {
      logger: false,
    });
    try {
      expect(context.get(AdminProvisioningService)).toBeInstanceOf(AdminProvisioningService);
      expect(context.get(AuditRepository)).toBeInstanceOf(AuditRepository);
      expect(context.get(SecurityLogService)).toBeInstanceOf(SecurityLogService);
      for (const background of [
        OutboxWorker,
        OutboxRetentionService,
        SignupDigestWorker,
        AccountRetentionService,
        SessionRetentionService,
        AuditRetentionService,
        EventRetentionService,
        BanEngineService,
        BanIndexService,
        ProxySyncService,
        AuthStateCache,
      ]) {
        expect(() => context.get(background, { strict: false })).toThrow(background.name);
      }
    } finally {
      await context.close();
    }
  });

  it('creates the database DATABASE_URL names when it does not exist', async () => {
    const missing = `${name}_new_${randomBytes(3).toString('hex')}`;
    const url = new URL(database.url);
    url.pathname = `/${missing}`;
    try {
      const result = runCli(cwd, ['create-admin', '--email', 'fresh@example.com'], { DATABASE_URL: url.toString() });
      expect(result.stderr).toBe('');
      expect(result.status).toBe(0);
      expect(result.stdout).toContain(`Created the database "${missing}"`);
      expect(result.stdout).toContain(`Database: "${missing}"`);
    } finally {
      await db.query(`DROP DATABASE IF EXISTS ${missing} WITH (FORCE)`);
    }
  });
});

describe('The admin CLI on a database that does not answer', () => {
  it('stops at once with one line, without retrying', async () => {
    const cwd = mkdtempSync(join(tmpdir(), 'regshield-cli-'));
    const startedAt = Date.now();
    const result = runCli(cwd, ['create-admin', '--email', 'x@example.com'], {
      DATABASE_URL: `postgresql://postgres@127.0.0.1:${await freePort()}/regshield`,
      REGSHIELD_ADMIN_PASSWORD: PASSWORD,
    });
    expect(result.status).toBe(1);
    // TypeORM's default retries alone last 27 s.
    expect(Date.now() - startedAt).toBeLessThan(20_000);
    expect(result.stderr.trim().split('\n')).toEqual([expect.stringContaining('ECONNREFUSED')]);
  });
});

/**
 * `npm run cli` (scripts/run-cli.mjs) in a copy of the project's layout, with a `tsc` on PATH that records
 * each call: it compiles only when dist/ is missing or older than src/.
 */
describe('npm run cli', () => {
  const root = mkdtempSync(join(tmpdir(), 'regshield-run-cli-'));
  const built = join(root, 'dist/src/cli/main.js');
  const source = join(root, 'src/cli/main.ts');
  const tscLog = join(root, 'tsc.log');
  const stub = "process.stdout.write('ran ' + process.argv.slice(2).join(' '))";

  beforeAll(() => {
    mkdirSync(join(root, 'scripts'));
    copyFileSync(join(ROOT, 'scripts/run-cli.mjs'), join(root, 'scripts/run-cli.mjs'));
    mkdirSync(join(root, 'src/cli'), { recursive: true });
    writeFileSync(source, '');
    mkdirSync(join(root, 'bin'));
    writeFileSync(
      join(root, 'bin/tsc'),
      `#!/bin/sh\necho "$@" >> ${tscLog}\nmkdir -p dist/src/cli\necho "${stub}" > dist/src/cli/main.js\n`,
    );
    chmodSync(join(root, 'bin/tsc'), 0o755);
  });

  const run = () =>
    spawnSync(process.execPath, [join(root, 'scripts/run-cli.mjs'), 'create-admin', '--help'], {
      cwd: root,
      env: { ...process.env, PATH: `${join(root, 'bin')}:${process.env.PATH}` },
      encoding: 'utf8',
    });
  const compilations = () => (existsSync(tscLog) ? readFileSync(tscLog, 'utf8').trim().split('\n').length : 0);
  const setTime = (path: string, secondsAgo: number) => {
    const time = Date.now() / 1000 - secondsAgo;
    utimesSync(path, time, time);
  };

  it('compiles when dist/ is missing, then runs the built CLI with the arguments', () => {
    const result = run();
    expect(result.status).toBe(0);
    expect(result.stdout).toBe('ran create-admin --help');
    expect(compilations()).toBe(1);
    expect(readFileSync(tscLog, 'utf8')).toBe('-p tsconfig.build.json\n');
  });

  it('runs the built CLI without compiling when dist/ is newer than every source', () => {
    setTime(source, 60);
    setTime(built, 30);
    expect(run().stdout).toBe('ran create-admin --help');
    expect(run().stdout).toBe('ran create-admin --help');
    expect(compilations()).toBe(1);
  });

  it('compiles again once a source is newer than dist/', () => {
    setTime(built, 60);
    setTime(source, 30);
    expect(run().stdout).toBe('ran create-admin --help');
    expect(compilations()).toBe(2);
  });

  it('says to run npm run build when it cannot compile', () => {
    rmSync(built);
    const result = spawnSync(process.execPath, [join(root, 'scripts/run-cli.mjs')], {
      cwd: root,
      env: { ...process.env, PATH: '/nonexistent' },
      encoding: 'utf8',
    });
    expect(result.status).toBe(1);
    expect(result.stderr).toContain('run npm run build');
  });
});
