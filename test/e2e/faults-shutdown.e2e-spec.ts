import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client } from 'pg';
import { failedRegistration } from '../support/sip-events';
import { createTestDatabase } from '../support/test-database';
import { freePort, ServiceProcess, serviceEnv } from '../support/service-process';
import { sleep } from '../support/wait';

const API_KEY = 'fault-test-ingest-key-0123456789';
const ADMIN = { email: 'admin@example.com', password: 'AdminPass123' };

/** What a client saw of one request: a status, or the network error's code. */
type Outcome = { status: number } | { error: string };

function errorCode(error: unknown): string {
  const cause = (error as { cause?: { code?: string; message?: string } }).cause;
  return cause?.code ?? cause?.message ?? String(error);
}

/** SIGTERM of the service process (on the machine's or the tests' PostgreSQL, which stays up). */
describe('Faults: SIGTERM', () => {
  jest.setTimeout(60_000);
  let database: { url: string; drop(): Promise<void> };
  let service: ServiceProcess;
  let dir: string;

  beforeEach(async () => {
    database = await createTestDatabase();
    dir = mkdtempSync(join(tmpdir(), 'regshield-shutdown-'));
  });

  afterEach(async () => {
    await service.kill();
    await database.drop();
  });

  it('while bans are being created: every committed ban has its sip_ban_created line in the security log', async () => {
    const securityLogFile = join(dir, 'security.log');
    service = new ServiceProcess(
      'service',
      serviceEnv({
        PORT: String(await freePort()),
        DATABASE_URL: database.url,
        DATA_DIR: dir,
        SECURITY_LOG_FILE: securityLogFile,
        SIP_INGEST_API_KEY: API_KEY,
        SIP_BAN_MAX_RETRY: '2',
      }),
    );
    await service.start();
    const db = new Client({ connectionString: database.url });
    await db.connect();
    try {
      let stopped = false;
      let batch = 0;
      // Each batch brings 50 new sources over the threshold: every engine tick has bans to create.
      const ingest = async () => {
        while (!stopped) {
          batch += 1;
          const sources = Array.from({ length: 50 }, (_, index) => `10.${batch >> 8}.${batch & 255}.${index + 1}`);
          await fetch(service.url('/api/sip-security/failed-registrations'), {
            method: 'POST',
            headers: { 'Content-Type': 'application/json', 'X-Api-Key': API_KEY },
            body: JSON.stringify(sources.flatMap((ip) => [failedRegistration(ip), failedRegistration(ip)])),
          }).catch(() => undefined);
          await sleep(100);
        }
      };
      const lanes = [ingest()];
      const deadline = Date.now() + 20_000;
      while ((await db.query('SELECT 1 FROM sip_bans LIMIT 1')).rowCount === 0 && Date.now() < deadline) {
        await sleep(100);
      }
      // Half an engine interval later: the next tick is about to run, or running.
      await sleep(500);
      const code = await service.stop('SIGTERM');
      stopped = true;
      await Promise.all(lanes);

      expect(code).toBe(0);
      const { rows } = await db.query<{ id: string }>('SELECT id::text AS id FROM sip_bans');
      expect(rows.length).toBeGreaterThan(0);
      const logged = new Set(
        (existsSync(securityLogFile) ? readFileSync(securityLogFile, 'utf8') : '')
          .split('\n')
          .filter((line) => line.includes('"event":"sip_ban_created"'))
          .map((line) => String((JSON.parse(line) as { ban_id: unknown }).ban_id)),
      );
      expect(rows.filter((row) => !logged.has(row.id))).toEqual([]);
      expect(service.output).not.toContain('SonicBoom');
    } finally {
      await db.end();
    }
  });

  it('under load: every request that reached the service gets a complete answer, and the process exits 0', async () => {
    service = new ServiceProcess(
      'service',
      serviceEnv({
        PORT: String(await freePort()),
        DATABASE_URL: database.url,
        DATA_DIR: dir,
        ADMIN_EMAIL: ADMIN.email,
        ADMIN_PASSWORD: ADMIN.password,
        LOGIN_RATE_LIMIT: '1000000',
      }),
    );
    await service.start();
    const outcomes: Outcome[] = [];
    let signalled = false;
    let answeredAfterSignal = 0;
    // A lane is a keep-alive client logging in (argon2: each request takes a while) until the service says
    // it is going away (503: a balancer would retry elsewhere) or refuses the connection (never taken).
    const lane = async () => {
      for (;;) {
        try {
          const response = await fetch(service.url('/api/auth/login'), {
            method: 'POST',
            headers: { 'Content-Type': 'application/json' },
            body: JSON.stringify(ADMIN),
          });
          await response.arrayBuffer();
          outcomes.push({ status: response.status });
          if (signalled) answeredAfterSignal += 1;
          if (response.status === 503) return;
        } catch (error) {
          const code = errorCode(error);
          if (code === 'ECONNREFUSED') return;
          outcomes.push({ error: code });
        }
      }
    };
    const lanes = Array.from({ length: 20 }, lane);
    await sleep(1500);
    signalled = true;
    const exit = service.stop('SIGTERM');
    await Promise.all(lanes);

    expect(await exit).toBe(0);
    expect(outcomes.filter((outcome) => !('status' in outcome) || ![200, 503].includes(outcome.status))).toEqual([]);
    expect(outcomes.length).toBeGreaterThan(20);
    expect(answeredAfterSignal).toBeGreaterThan(0);
  });
});
