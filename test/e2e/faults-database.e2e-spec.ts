import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ClusterProcess, clusterProcesses, stopLeftoverPostmaster } from '../support/embedded-cluster';
import { ADMIN, startTestApp, TestApp } from '../support/test-app';
import { sleep } from '../support/wait';
import { describeWith, missingPath } from '../support/required-tools';

const CONNECT_TIMEOUT_MS = 1000;
const STATEMENT_TIMEOUT_MS = 2000;
/** No answer may take longer: the statement bound, the client's margin over it, and some slack. */
const ANSWER_BOUND_MS = STATEMENT_TIMEOUT_MS + 1000 + 1500;

interface Answer {
  path: string;
  status: number;
  startedAt: number;
  ms: number;
  retryAfter?: string;
}

/**
 * The database goes away under a light request loop: on a PostgreSQL cluster of the test's own (the
 * embedded one, under a temporary DATA_DIR), which it stops, freezes and starts again.
 */
describe('Faults: the database stops answering', () => {
  jest.setTimeout(60_000);
  const dataDir = mkdtempSync(join(tmpdir(), 'regshield-outage-'));
  const cluster = new ClusterProcess(dataDir);
  let app: TestApp;
  let token: string;

  beforeAll(async () => {
    const databaseUrl = await cluster.start();
    app = await startTestApp({
      databaseUrl,
      env: { DB_CONNECT_TIMEOUT_MS: String(CONNECT_TIMEOUT_MS), DB_STATEMENT_TIMEOUT_MS: String(STATEMENT_TIMEOUT_MS) },
    });
    // The test's own client is cut with the rest; only the app's connections are under test.
    app.db.on('error', () => undefined);
    token = await app.login(ADMIN.email, ADMIN.password);
  });

  afterAll(async () => {
    for (const pid of clusterProcesses(dataDir)) process.kill(pid, 'SIGCONT');
    await app?.close().catch(() => undefined);
    await cluster.stop();
    await stopLeftoverPostmaster(dataDir);
  });

  /** Asks a database-backed route and /health every 200 ms until stopped; every answer is kept. */
  function requestLoop(): { answers: Answer[]; stop(): Promise<void> } {
    const answers: Answer[] = [];
    let running = true;
    const ask = async (path: string) => {
      const started = Date.now();
      const response = await app.http
        .get(path)
        .set('Authorization', `Bearer ${token}`)
        .timeout(ANSWER_BOUND_MS * 2);
      answers.push({
        path,
        status: response.status,
        startedAt: started,
        ms: Date.now() - started,
        retryAfter: response.headers['retry-after'],
      });
    };
    const loop = (async () => {
      while (running) {
        await Promise.all([ask('/api/admin/users'), ask('/health'), sleep(200)]);
      }
    })();
    return {
      answers,
      stop: async () => {
        running = false;
        await loop;
      },
    };
  }

  async function expectRecovery(loop: { answers: Answer[] }): Promise<void> {
    const deadline = Date.now() + 20_000;
    const recovered = () => loop.answers.slice(-4).every((answer) => answer.status === 200);
    while (!recovered() && Date.now() < deadline) await sleep(200);
    expect(loop.answers.slice(-4).map((answer) => answer.status)).toEqual([200, 200, 200, 200]);
  }

  function expectOnly503s(answers: Answer[]): void {
    expect(answers.length).toBeGreaterThanOrEqual(2);
    expect(answers.filter((answer) => answer.status !== 503 || answer.retryAfter === undefined)).toEqual([]);
    expect(answers.filter((answer) => answer.ms > ANSWER_BOUND_MS)).toEqual([]);
  }

  it('stopped for 10 s: 503 with Retry-After meanwhile (never 500, never past the bound), 200 again after it restarts', async () => {
    const loop = requestLoop();
    await sleep(600);
    await cluster.stop();
    const outageStart = Date.now();
    await sleep(10_000);
    const duringOutage = loop.answers.filter((answer) => answer.startedAt >= outageStart);
    await cluster.start();
    await expectRecovery(loop);
    await loop.stop();

    expectOnly503s(duringOutage);
    expect(loop.answers.filter((answer) => answer.status >= 500 && answer.status !== 503)).toEqual([]);
  });

  describeWith([missingPath('/proc', 'the frozen cluster is found through /proc (Linux)')], 'a frozen cluster', () => {
    it('frozen (SIGSTOP): 503 within the bound, 200 again once it runs', async () => {
      const loop = requestLoop();
      await sleep(600);
      const processes = clusterProcesses(dataDir);
      for (const pid of processes) process.kill(pid, 'SIGSTOP');
      const frozenStart = Date.now();
      await sleep(ANSWER_BOUND_MS + 3000);
      const whileFrozen = loop.answers.filter((answer) => answer.startedAt >= frozenStart);
      for (const pid of processes) process.kill(pid, 'SIGCONT');
      await expectRecovery(loop);
      await loop.stop();

      expectOnly503s(whileFrozen);
      expect(loop.answers.filter((answer) => answer.status >= 500 && answer.status !== 503)).toEqual([]);
    });
  });
});
