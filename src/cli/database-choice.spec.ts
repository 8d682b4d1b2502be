import { describeDatabase, embeddedDatabaseWarning } from './database-choice';

describe('Which database the CLI names, and when it warns', () => {
  const target = { host: 'db.internal', port: 5432, user: 'regshield', database: 'regshield' };

  it("names DATABASE_URL's host, port, role and database, and does not warn", () => {
    const choice = { kind: 'url', target } as const;
    expect(describeDatabase(choice)).toBe('Database: "regshield" on db.internal:5432 as "regshield" (DATABASE_URL)');
    expect(embeddedDatabaseWarning(choice)).toBeUndefined();
  });

  it("names the running service's embedded database by its absolute DATA_DIR, and does not warn", () => {
    const choice = { kind: 'embedded-running', dataDir: '/srv/regshield/.data' } as const;
    expect(describeDatabase(choice)).toBe(
      'Database: the embedded PostgreSQL under /srv/regshield/.data, which the running service uses',
    );
    expect(embeddedDatabaseWarning(choice)).toBeUndefined();
  });

  it('warns when it started the embedded database itself: another DATA_DIR would not see the change', () => {
    const choice = { kind: 'embedded-started', dataDir: '/srv/regshield/.data' } as const;
    expect(describeDatabase(choice)).toContain('under /srv/regshield/.data, started for this command');
    const warning = embeddedDatabaseWarning(choice);
    expect(warning).toContain('no service was running on DATA_DIR /srv/regshield/.data');
    expect(warning).toContain('will not see this change');
    expect(warning).toContain('for development');
  });
});
