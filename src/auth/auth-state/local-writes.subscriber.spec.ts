import { QueryRunner } from 'typeorm';
import { ForgettingState, LocalWritesSubscriber, writtenRows } from './local-writes.subscriber';

const ALICE = '0b9c5e1f-1c2d-4e5f-8a9b-0c1d2e3f4a5b';
const BOB = '5e1f0b9c-2d1c-4f5e-9b8a-5b4a3f2e1d0c';

describe('writtenRows', () => {
  const tables = [
    { name: 'users' },
    { name: 'sessions', cachedColumns: ['id', 'user_id', 'expires_at', 'revoked_at'] },
  ];

  it.each([
    ['UPDATE users SET last_login_at = now() WHERE id = $1', [ALICE], [ALICE]],
    [
      'UPDATE users SET last_login_at = now(), failed_login_count = 0, lockout_count = 0 WHERE id = $1',
      [ALICE],
      [ALICE],
    ],
    [
      'UPDATE "users" SET "is_superuser" = $1, "updated_at" = CURRENT_TIMESTAMP WHERE "id" IN ($2, $3)',
      [true, ALICE, BOB],
      [ALICE, BOB],
    ],
    ['UPDATE users SET status = $2 WHERE id = ANY($1) RETURNING id', [[ALICE, BOB], 'active'], [ALICE, BOB]],
    [
      `UPDATE users SET failed_login_count = failed_login_count + 1
          WHERE id = $1 AND (locked_until IS NULL OR locked_until <= now())
          RETURNING failed_login_count, lockout_count`,
      [ALICE],
      [ALICE],
    ],
    ['DELETE FROM "users" WHERE "id" = $1', [ALICE], [ALICE]],
  ])('reads the ids written by %s', (sql, parameters, ids) => {
    expect(writtenRows(sql, parameters, tables)).toEqual([{ table: 'users', ids }]);
  });

  it('names a row as PostgreSQL prints its uuid, whatever the letter case of the parameter', () => {
    expect(writtenRows('UPDATE sessions SET revoked_at = now() WHERE id = $1', [ALICE.toUpperCase()], tables)).toEqual([
      { table: 'sessions', ids: [ALICE] },
    ]);
  });

  it.each([
    ['UPDATE sessions SET revoked_at = now(), revoke_reason = $2 WHERE id = $1 AND revoked_at IS NULL', [ALICE]],
    ['UPDATE "sessions" SET "expires_at" = $2 WHERE "id" = $1', [ALICE]],
    ['UPDATE sessions SET (revoked_at, ip) = (now(), $2) WHERE id = $1', [ALICE]],
  ])('sees a change to what the cache keeps of a row in %s', (sql, ids) => {
    expect(writtenRows(sql, [...ids, 'x'], tables)).toEqual([{ table: 'sessions', ids }]);
  });

  it('sees no change to what the cache keeps in an update of other columns only (a refresh)', () => {
    const rotate = `UPDATE sessions
          SET refresh_token_hash = $2, previous_refresh_token_hash = $3, sealed_refresh_token = $4,
              rotated_at = $7, last_used_at = now(), ip = $5, user_agent = $6
        WHERE id = $1`;
    expect(writtenRows(rotate, [ALICE, 'a', 'b', 'c', 'd', 'e', 'f'], tables)).toEqual([
      { table: 'sessions', ids: [] },
    ]);
  });

  it.each([
    ['INSERT INTO sessions (id, user_id) VALUES ($1, $2)'],
    ['INSERT INTO "users"("id", "email") VALUES (DEFAULT, $1) RETURNING "id"'],
  ])('sees only new rows, which no cache holds, in %s', (sql) => {
    expect(writtenRows(sql, [ALICE, BOB], tables)).toEqual([
      { table: sql.includes('users') ? 'users' : 'sessions', ids: [] },
    ]);
  });

  it.each([
    ['UPDATE users SET status = $2 WHERE id = $1 OR is_superuser', [ALICE, 'active']],
    ['UPDATE users SET status = $2 WHERE id = $1 AND a OR b', [ALICE, 'active']],
    ['UPDATE sessions SET revoked_at = now() WHERE user_id = $1', [ALICE]],
    ['UPDATE users SET status = $1', ['active']],
    ['UPDATE users SET x = (SELECT 1 FROM t WHERE id = $1)', [ALICE]],
    ['UPDATE users SET x = 1 FROM other WHERE id = $1', [ALICE]],
    ['UPDATE users SET x = 1 WHERE id = $1; UPDATE users SET x = 2', [ALICE]],
    ['UPDATE users SET x = 1 WHERE id = $1 -- \n OR true', [ALICE]],
    ['UPDATE users SET x = 1 WHERE id = $1', ['not-a-uuid']],
    ['UPDATE users SET x = 1 WHERE id = $1', [null]],
    ['UPDATE users SET x = 1 WHERE id = ANY($1)', [ALICE]],
    ['UPDATE users SET x = 1 WHERE id = $2', [ALICE]],
    ['UPDATE users SET x = 1 WHERE id = $1', { id: ALICE }],
    ['DELETE FROM users WHERE id IN (SELECT id FROM users LIMIT $1)', [10]],
    ['DELETE FROM users USING other WHERE id = $1', [ALICE]],
    ['INSERT INTO users (id, email) VALUES ($1, $2) ON CONFLICT (email) DO UPDATE SET status = $3', [ALICE]],
    ['WITH changed AS (UPDATE users SET x = 1 WHERE id = $1) SELECT 1', [ALICE]],
    ['TRUNCATE users CASCADE', []],
    ['ALTER TABLE users ADD COLUMN x int', []],
  ])('may write any row in %s', (sql, parameters) => {
    const table = sql.includes('sessions') ? 'sessions' : 'users';
    expect(writtenRows(sql, parameters, tables)).toEqual([{ table, ids: 'any' }]);
  });

  it('takes a statement naming two watched tables as one that may write any row of both', () => {
    expect(
      writtenRows(
        '  with gone as (delete from sessions where user_id = $1) update users set status = $2',
        [ALICE],
        tables,
      ),
    ).toEqual([
      { table: 'users', ids: 'any' },
      { table: 'sessions', ids: 'any' },
    ]);
  });

  it.each([
    ['SELECT id, email FROM users WHERE id = $1'],
    // The login's query: the user and the device, read together.
    [
      `SELECT u.*, d.id AS device_id FROM (SELECT id, email, hashed_password FROM users WHERE email = $1) u
         LEFT JOIN known_devices d ON d.id = $2 AND d.user_id = u.id`,
    ],
    ['SELECT "User"."id" FROM "users" "User" WHERE "User"."id" IN ($1, $2) FOR UPDATE'],
    ['INSERT INTO audit_events (event, details) VALUES ($1, $2)'],
    ['INSERT INTO spent_refresh_tokens (session_id, token_hash) VALUES ($1, $2)'],
    ['UPDATE user_sessions_archive SET x = 1'],
    ['UPDATE superusers SET x = 1'],
    ['COMMIT'],
  ])('sees no write to a watched table in %s', (sql) => {
    expect(writtenRows(sql, [ALICE], tables)).toEqual([]);
  });
});

describe('LocalWritesSubscriber', () => {
  const state = (): ForgettingState & { invalidate: jest.Mock; flush: jest.Mock } => ({
    invalidate: jest.fn(),
    flush: jest.fn(),
  });
  const runner = (isTransactionActive: boolean) => ({ isTransactionActive }) as QueryRunner;

  it('forgets the rows a statement wrote, and again when its transaction ends', () => {
    const users = state();
    const sessions = state();
    const subscriber = new LocalWritesSubscriber([
      { name: 'users', state: users },
      { name: 'sessions', state: sessions, cachedColumns: ['id', 'revoked_at'] },
    ]);
    const inTransaction = runner(true);
    subscriber.afterQuery({
      query: 'UPDATE users SET status = $2 WHERE id = ANY($1)',
      parameters: [[ALICE, BOB], 'active'],
      queryRunner: inTransaction,
    } as never);
    expect(users.invalidate.mock.calls).toEqual([[ALICE], [BOB]]);
    (inTransaction as { isTransactionActive: boolean }).isTransactionActive = false;
    subscriber.afterTransactionCommit({ queryRunner: inTransaction } as never);
    expect(users.invalidate.mock.calls).toEqual([[ALICE], [BOB], [ALICE], [BOB]]);
    expect(users.flush).not.toHaveBeenCalled();
    expect(sessions.invalidate).not.toHaveBeenCalled();
    expect(sessions.flush).not.toHaveBeenCalled();
  });

  it('leaves every cached row alone for a new session, and flushes the table for a statement it cannot read', () => {
    const users = state();
    const sessions = state();
    const subscriber = new LocalWritesSubscriber([
      { name: 'users', state: users },
      { name: 'sessions', state: sessions, cachedColumns: ['id', 'revoked_at'] },
    ]);
    subscriber.afterQuery({
      query: 'INSERT INTO sessions (id, user_id) VALUES ($1, $2)',
      parameters: [ALICE, BOB],
      queryRunner: runner(false),
    } as never);
    expect(sessions.invalidate).not.toHaveBeenCalled();
    expect(sessions.flush).not.toHaveBeenCalled();
    subscriber.afterQuery({
      query: 'UPDATE sessions SET revoked_at = now() WHERE user_id = $1',
      parameters: [ALICE],
      queryRunner: runner(false),
    } as never);
    expect(sessions.flush).toHaveBeenCalledTimes(1);
    expect(users.flush).not.toHaveBeenCalled();
  });
});
