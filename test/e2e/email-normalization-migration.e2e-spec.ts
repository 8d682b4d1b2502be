import { Logger } from '@nestjs/common';
import { Client } from 'pg';
import { hashPassword } from '../../src/auth/password-hasher';
import { MIGRATIONS } from '../../src/database/data-source-options';
import { NormalizeStoredEmails1764000006200 } from '../../src/database/migrations/1764000006200-NormalizeStoredEmails';
import { startTestApp, TestApp } from '../support/test-app';
import { createDatabaseWith, migrate } from '../support/test-database';

describe('Migration NormalizeStoredEmails on a database filled before normalisation', () => {
  const PASSWORD = 'Stored1234';
  let database: { url: string; drop(): Promise<void> };
  let db: Client;
  let t: TestApp | undefined;
  const warnings: string[] = [];
  const ids = new Map<string, string>();

  beforeAll(async () => {
    ({ database, db } = await createDatabaseWith(
      MIGRATIONS.filter((migration) => migration !== NormalizeStoredEmails1764000006200),
    ));
    const hash = await hashPassword(PASSWORD);
    // As the older rule (trimmed, lower-cased) stored them; `created_at` orders who signed up first.
    const rows: Array<[string, string, number]> = [
      ['unicode-domain', 'ana@bücher.example', 1],
      ['decomposed', 'jose\u0301@example.com', 2],
      ['fullwidth', 'ｆｗ@example.com', 3],
      ['already-normal', 'bob@xn--bcher-kva.example', 4],
      ['collides-with-normal', 'bob@bücher.example', 5],
      ['first-spelling', 'eve@bu\u0308cher.example', 6],
      ['second-spelling', 'eve@bücher.example', 7],
      ['quoted', '"a b"@example.com', 8],
      ['stray-dots', 'a..b@example.com', 9],
      ['plain', 'plain@example.com', 10],
    ];
    for (const [name, email, minute] of rows) {
      const inserted = await db.query<{ id: string }>(
        `INSERT INTO users (email, full_name, hashed_password, status, created_at)
         VALUES ($1, $2, $3, 'active', timestamptz '2026-01-01 00:00Z' + make_interval(mins => $4)) RETURNING id`,
        [email, name, hash, minute],
      );
      ids.set(name, inserted.rows[0].id);
    }
    jest.spyOn(Logger.prototype, 'warn').mockImplementation((message: unknown) => {
      warnings.push(String(message));
    });
    await migrate(database.url);
    jest.restoreAllMocks();
  });
  afterAll(async () => {
    await t?.close();
    await db?.end();
    await database?.drop();
  });

  const emailOf = async (name: string) =>
    (await db.query<{ email: string }>('SELECT email FROM users WHERE id = $1', [ids.get(name)])).rows[0].email;

  it('rewrites older spellings into the normal form (IDNA domain, NFC, fullwidth mapped)', async () => {
    expect(await emailOf('unicode-domain')).toBe('ana@xn--bcher-kva.example');
    expect(await emailOf('decomposed')).toBe('jos\u00e9@example.com');
    expect(await emailOf('fullwidth')).toBe('fw@example.com');
    expect(await emailOf('already-normal')).toBe('bob@xn--bcher-kva.example');
    expect(await emailOf('plain')).toBe('plain@example.com');
  });

  it('leaves an account whose normal form another account has unchanged, and names both in a warning', async () => {
    expect(await emailOf('collides-with-normal')).toBe('bob@bücher.example');
    expect(warnings).toContainEqual(
      expect.stringContaining(
        `User ${ids.get('collides-with-normal')}: the stored address normalises to the address of user ${ids.get('already-normal')}`,
      ),
    );
    // Of two older spellings, the earlier sign-up gets the address.
    expect(await emailOf('first-spelling')).toBe('eve@xn--bcher-kva.example');
    expect(await emailOf('second-spelling')).toBe('eve@bücher.example');
    expect(warnings).toContainEqual(
      expect.stringContaining(
        `User ${ids.get('second-spelling')}: the stored address normalises to the address of user ${ids.get('first-spelling')}`,
      ),
    );
  });

  it('leaves addresses that cannot be mailed as stored unchanged, and names them', async () => {
    expect(await emailOf('quoted')).toBe('"a b"@example.com');
    expect(await emailOf('stray-dots')).toBe('a..b@example.com');
    for (const name of ['quoted', 'stray-dots']) {
      expect(warnings).toContainEqual(
        expect.stringContaining(`User ${ids.get(name)}: the stored address is not one that can be mailed as stored`),
      );
    }
    expect(warnings).toHaveLength(4);
  });

  it('lets the accounts sign in with any spelling of their address, with no fallback in login', async () => {
    t = await startTestApp({ databaseUrl: database.url });
    for (const email of [
      'ana@bücher.example',
      'ANA@xn--bcher-kva.example',
      'jose\u0301@example.com',
      'FW@example.com',
    ]) {
      await t.http.post('/api/auth/login').send({ email, password: PASSWORD }).expect(200);
    }
    // The unchanged older spelling is no longer found: login finds the account that has the address.
    const bob = await t.http.post('/api/auth/login').send({ email: 'bob@bücher.example', password: PASSWORD });
    expect(bob.status).toBe(200);
    const me = await t.http.get('/api/auth/me').set('Authorization', `Bearer ${bob.body.access_token as string}`);
    expect(me.body.id).toBe(ids.get('already-normal'));
  });

  it('runs once: a second start changes nothing', async () => {
    const before = await db.query('SELECT id, email FROM users ORDER BY id');
    await migrate(database.url);
    expect((await db.query('SELECT id, email FROM users ORDER BY id')).rows).toEqual(before.rows);
  });
});
