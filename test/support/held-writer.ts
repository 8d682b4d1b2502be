import { Client } from 'pg';
import { closeAll, startTestApp, TestApp, TestAppOptions } from './test-app';

/** The app, and a second connection whose transaction a test holds open, as a slow writer's (a proxy's, the API's). */
export interface AppWithHeldWriter {
  t: TestApp;
  writer: Client;
}

/**
 * Starts the app and the writer's connection before the spec's tests, ends both after them, and rolls back
 * whatever transaction the writer was left in after each test, so that a failed test does not hold the next
 * one's table locks. Set once `beforeAll` has run.
 */
export function appWithHeldWriter(options?: TestAppOptions): AppWithHeldWriter {
  const held = {} as AppWithHeldWriter;
  beforeAll(async () => {
    held.t = await startTestApp(options);
    held.writer = new Client({ connectionString: held.t.databaseUrl });
    await held.writer.connect();
  });
  afterEach(() => held.writer.query('ROLLBACK'));
  afterAll(async () => {
    await held.writer?.end();
    await closeAll(held.t);
  });
  return held;
}
