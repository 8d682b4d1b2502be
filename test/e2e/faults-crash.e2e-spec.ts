import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { failedRegistration } from '../support/sip-events';
import {
  connectToEmbedded,
  embeddedPostmasterPid,
  isAlive,
  stopLeftoverPostmaster,
  storedEmbeddedPort,
} from '../support/embedded-cluster';
import { freePort, ServiceProcess, serviceEnv } from '../support/service-process';

const API_KEY = 'fault-test-ingest-key-0123456789';
const BATCH_SIZE = 200;

/**
 * `kill -9` of the service, on its embedded PostgreSQL (the default set-up): PostgreSQL survives its parent,
 * and the next start must deal with it. Whatever the service acknowledged with 202 must be stored.
 */
describe('Faults: the service killed with SIGKILL', () => {
  jest.setTimeout(60_000);
  const dataDir = mkdtempSync(join(tmpdir(), 'regshield-crash-'));
  let service: ServiceProcess;

  beforeAll(async () => {
    service = new ServiceProcess(
      'service',
      serviceEnv({
        PORT: String(await freePort()),
        DATA_DIR: dataDir,
        SIP_INGEST_API_KEY: API_KEY,
        SIP_BAN_MAX_RETRY: '1000000',
      }),
    );
    await service.start();
  });

  afterAll(async () => {
    await service.kill();
    await stopLeftoverPostmaster(dataDir);
  });

  it('starts again on the same stored port after its embedded PostgreSQL was orphaned, and serves the data', async () => {
    const registered = await fetch(service.url('/api/auth/register'), {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ email: 'survivor@example.com', password: 'Secret9876', full_name: 'Survivor' }),
    });
    expect(registered.status).toBe(201);
    const port = storedEmbeddedPort(dataDir);
    const orphan = embeddedPostmasterPid(dataDir)!;

    await service.stop('SIGKILL');
    expect(isAlive(orphan)).toBe(true);

    await service.start();
    expect(storedEmbeddedPort(dataDir)).toBe(port);
    expect(isAlive(orphan)).toBe(false);
    const login = await fetch(service.url('/api/auth/login'), {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ email: 'survivor@example.com', password: 'Secret9876' }),
    });
    // The account is pending (approval mode): the right password on it answers 403 Inactive user.
    expect(login.status).toBe(403);
    expect(service.output).not.toContain('did not start');
  });

  it('loses no event it acknowledged with 202 when killed during a stream of batched ingests', async () => {
    const acknowledged = new Set<string>();
    let batches = 0;
    let stopped = false;
    const poster = async (lane: number) => {
      while (!stopped) {
        const tag = `lane${lane}-batch${batches++}`;
        const body = Array.from({ length: BATCH_SIZE }, (_, index) =>
          failedRegistration(`198.51.100.${(index % 250) + 1}`, { username: tag }),
        );
        try {
          const response = await fetch(service.url('/api/sip-security/failed-registrations'), {
            method: 'POST',
            headers: { 'Content-Type': 'application/json', 'X-Api-Key': API_KEY },
            body: JSON.stringify(body),
          });
          if (response.status === 202) acknowledged.add(tag);
        } catch {
          // The kill cuts the connection: that batch was never acknowledged.
        }
      }
    };
    const lanes = [1, 2, 3, 4].map(poster);
    await new Promise((resolve) => setTimeout(resolve, 1500));
    await service.stop('SIGKILL');
    stopped = true;
    await Promise.all(lanes);
    expect(acknowledged.size).toBeGreaterThan(0);

    await service.start();
    const db = await connectToEmbedded(dataDir);
    try {
      const { rows } = await db.query<{ username: string; events: number }>(
        'SELECT username, count(*)::int AS events FROM failed_registrations GROUP BY username',
      );
      const stored = new Map(rows.map((row) => [row.username, row.events]));
      for (const tag of acknowledged) {
        expect([tag, stored.get(tag)]).toEqual([tag, BATCH_SIZE]);
      }
      // A batch is all or nothing, acknowledged or not.
      expect(rows.filter((row) => row.events !== BATCH_SIZE)).toEqual([]);
    } finally {
      await db.end();
    }
    expect(await service.stop('SIGTERM')).toBe(0);
    expect(embeddedPostmasterPid(dataDir)).toBeUndefined();
  });
});
