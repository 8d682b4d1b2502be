import { NestFastifyApplication } from '@nestjs/platform-fastify';
import { mkdtempSync, readFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client } from 'pg';
import request from 'supertest';
import TestAgent from 'supertest/lib/agent';
import { createApp } from '../../src/app.factory';
import { loadConfig } from '../../src/config/app-config';
import { createTestDatabase } from './test-database';

export const ADMIN = { email: 'admin@example.com', password: 'AdminPass123' };
export const TEST_JWT_SECRET = 'test-secret-that-is-at-least-32-characters-long';

export interface TestApp {
  app: NestFastifyApplication;
  http: TestAgent;
  databaseUrl: string;
  db: Client;
  /** The security events the app wrote to SECURITY_LOG_FILE, parsed. */
  securityEvents(): Array<Record<string, unknown>>;
  securityLogText(): string;
  /** Logs in and returns the bearer token. */
  login(email: string, password: string): Promise<string>;
  /**
   * Ends the test's database client and the app, then drops the database if this app created it (an app
   * started on a given `databaseUrl` leaves it to its owner). Safe to call twice.
   */
  close(): Promise<void>;
}

export interface TestAppOptions {
  env?: Record<string, string>;
  /** Reuse a database (e.g. to restart an app on the same data); a new one is created otherwise. */
  databaseUrl?: string;
}

/** The real application on a real PostgreSQL database, driven over HTTP. */
export async function startTestApp(options: TestAppOptions = {}): Promise<TestApp> {
  const database = options.databaseUrl ? undefined : await createTestDatabase();
  const databaseUrl = options.databaseUrl ?? database!.url;
  const dir = mkdtempSync(join(tmpdir(), 'regshield-app-'));
  const securityLogFile = join(dir, 'security.log');
  const config = loadConfig({
    NODE_ENV: 'test',
    DATABASE_URL: databaseUrl,
    DATA_DIR: dir,
    JWT_SECRET: TEST_JWT_SECRET,
    ADMIN_EMAIL: ADMIN.email,
    ADMIN_PASSWORD: ADMIN.password,
    SECURITY_LOG_FILE: securityLogFile,
    LOG_LEVEL: 'silent',
    ...options.env,
  });
  const app = await createApp(config, databaseUrl, false);
  const db = new Client({ connectionString: databaseUrl });
  await db.connect();
  const http = request(app.getHttpServer());
  let closing: Promise<void> | undefined;
  const securityLogText = () => (existsSync(securityLogFile) ? readFileSync(securityLogFile, 'utf8') : '');
  return {
    app,
    http,
    databaseUrl,
    db,
    securityLogText,
    securityEvents: () =>
      securityLogText()
        .split('\n')
        .filter((line) => line !== '')
        .map((line) => JSON.parse(line) as Record<string, unknown>),
    login: async (email, password) => {
      const response = await http.post('/api/auth/login').send({ email, password }).expect(200);
      return response.body.access_token as string;
    },
    close: () => {
      closing ??= (async () => {
        await db.end();
        await app.close();
        await database?.drop();
      })();
      return closing;
    },
  };
}

/**
 * Closes test apps, the last started first: an app started on another's database (`databaseUrl`) must be
 * gone before its owner drops that database. Skips the ones that never started (a failed beforeAll).
 */
export async function closeAll(...apps: Array<Pick<TestApp, 'close'> | undefined>): Promise<void> {
  for (const app of apps.reverse()) {
    await app?.close();
  }
}

/**
 * The usual life of a spec's app: started before the enclosing describe block's tests, closed after them.
 * Returns the app, filled in once beforeAll has run; `options` may be a function, evaluated then (to start
 * on the database of an app started earlier). Several apps in one block: start them in one beforeAll and
 * close them with one `afterAll(() => closeAll(first, second))`.
 */
export function useTestApp(options: TestAppOptions | (() => TestAppOptions) = {}): TestApp {
  const app = {} as TestApp;
  let started: TestApp | undefined;
  beforeAll(async () => {
    started = await startTestApp(typeof options === 'function' ? options() : options);
    Object.assign(app, started);
  });
  afterAll(() => closeAll(started));
  return app;
}

let counter = 0;
/** A fresh, valid registration body. */
export function newUser(overrides: Record<string, unknown> = {}) {
  counter += 1;
  return {
    email: `user${counter}-${Date.now()}@example.com`,
    password: 'Valid1234',
    full_name: `Test User ${counter}`,
    ...overrides,
  };
}

/** The login body for a registration body. */
export function credentials(user: { email: string; password: string }) {
  return { email: user.email, password: user.password };
}
