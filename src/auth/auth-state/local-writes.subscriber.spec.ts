import { writtenTables } from './local-writes.subscriber';

describe('writtenTables', () => {
  const tables = ['users', 'sessions'];

  it.each([
    ['UPDATE users SET last_login_at = now() WHERE id = $1', ['users']],
    ['UPDATE "users" SET "is_superuser" = $1, "updated_at" = CURRENT_TIMESTAMP WHERE "id" IN ($2)', ['users']],
    ['INSERT INTO "users"("id", "email") VALUES (DEFAULT, $1) RETURNING "id"', ['users']],
    ['DELETE FROM "public"."users" WHERE "id" = $1', ['users']],
    ['  with gone as (delete from sessions where user_id = $1) update users set status = $2', ['users', 'sessions']],
    ['TRUNCATE users CASCADE', ['users']],
  ])('sees a write in %s', (sql, expected) => {
    expect(writtenTables(sql, tables)).toEqual(expected);
  });

  it.each([
    ['SELECT id, email FROM users WHERE id = $1'],
    ['SELECT "User"."id" FROM "users" "User" WHERE "User"."id" IN ($1, $2) FOR UPDATE'],
    ['INSERT INTO audit_events (event, details) VALUES ($1, $2)'],
    ['UPDATE user_sessions_archive SET x = 1'],
    ['UPDATE superusers SET x = 1'],
    ['COMMIT'],
  ])('sees no write to a watched table in %s', (sql) => {
    expect(writtenTables(sql, tables)).toEqual([]);
  });
});
