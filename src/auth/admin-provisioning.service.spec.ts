import { AuditTrail, RecordAuditEvent } from '../audit/audit-trail.service';
import { AppConfig } from '../config/app-config';
import { User } from '../database/entities/user.entity';
import { AdminProvisioningService } from './admin-provisioning.service';
import { EmailTakenError, NewUser, UsersRepository } from './users.repository';

/** The users table as a list, with the repository methods provisioning uses. */
function fakeUsers(initial: Array<Partial<User>>) {
  const rows = initial.map((row, i) =>
    Object.assign(new User(), { id: `id-${i}`, hashedPassword: 'old-hash', ...row }),
  );
  const byEmail = (email: string) => rows.find((row) => row.email === email) ?? null;
  const repository = {
    existsSuperuser: () => Promise.resolve(rows.some((row) => row.isSuperuser)),
    existsByEmail: (email: string) => Promise.resolve(byEmail(email) !== null),
    findByEmailWithPassword: (email: string) => Promise.resolve(byEmail(email)),
    insertUser: (user: NewUser) => {
      if (byEmail(user.email)) return Promise.reject(new EmailTakenError(user.email));
      const row = Object.assign(new User(), { ...user, id: `id-${rows.length}` });
      rows.push(row);
      return Promise.resolve(row);
    },
    makeActiveSuperuser: (id: string) => {
      const row = rows.find((candidate) => candidate.id === id);
      if (row) Object.assign(row, { isSuperuser: true, status: 'active' });
      return Promise.resolve(row !== undefined);
    },
    loadById: (id: string) => Promise.resolve(rows.find((candidate) => candidate.id === id) ?? null),
  };
  return { rows, repository: repository as unknown as UsersRepository };
}

/** The events recorded in the (fake) transactions of the last service made. */
let audited: Array<Record<string, unknown>> = [];

const service = (users: UsersRepository, initialAdmin?: { email: string; password: string }) => {
  audited = [];
  const auditTrail = {
    run: (work: (tx: unknown, record: RecordAuditEvent) => Promise<unknown>) =>
      work({}, (event, fields) => Promise.resolve(void audited.push({ event, ...fields }))),
  } as unknown as AuditTrail;
  return new AdminProvisioningService(users, auditTrail, { initialAdmin } as AppConfig);
};

describe('AdminProvisioningService at start (ADMIN_EMAIL)', () => {
  it('creates the active superuser when none exists', async () => {
    const { rows, repository } = fakeUsers([]);
    await service(repository, { email: 'Boss@Bücher.example', password: 'BossPass123' }).onApplicationBootstrap();
    expect(rows).toEqual([
      expect.objectContaining({ email: 'boss@xn--bcher-kva.example', status: 'active', isSuperuser: true }),
    ]);
    expect(rows[0].hashedPassword).toMatch(/^\$argon2id\$/);
    expect(audited).toEqual([
      {
        event: 'user_created',
        email: 'boss@xn--bcher-kva.example',
        user_id: 'id-0',
        is_active: true,
        is_superuser: true,
        actor: 'system',
        via: 'ADMIN_EMAIL',
      },
    ]);
  });

  it('does nothing when a superuser exists', async () => {
    const { rows, repository } = fakeUsers([{ email: 'root@example.com', isSuperuser: true, status: 'active' }]);
    await service(repository, { email: 'boss@example.com', password: 'BossPass123' }).onApplicationBootstrap();
    expect(rows).toHaveLength(1);
    expect(audited).toEqual([]);
  });

  it('never overwrites the user who has the e-mail', async () => {
    const { rows, repository } = fakeUsers([{ email: 'boss@example.com', isSuperuser: false, status: 'pending' }]);
    await service(repository, { email: 'BOSS@example.com', password: 'BossPass123' }).onApplicationBootstrap();
    expect(rows).toEqual([
      expect.objectContaining({
        email: 'boss@example.com',
        status: 'pending',
        isSuperuser: false,
        hashedPassword: 'old-hash',
      }),
    ]);
  });

  it('refuses a password that breaks the rules', async () => {
    const { repository } = fakeUsers([]);
    await expect(
      service(repository, { email: 'boss@example.com', password: 'weak' }).onApplicationBootstrap(),
    ).rejects.toThrow(/ADMIN_PASSWORD is not acceptable/);
  });

  it('does nothing without ADMIN_EMAIL', async () => {
    const { rows, repository } = fakeUsers([]);
    await service(repository).onApplicationBootstrap();
    expect(rows).toEqual([]);
  });
});

describe('AdminProvisioningService for the CLI (create-admin)', () => {
  it('promotes and activates an existing user without touching the password', async () => {
    const { rows, repository } = fakeUsers([{ email: 'keep@example.com', isSuperuser: false, status: 'deactivated' }]);
    const user = await service(repository).createOrPromoteSuperuser(' Keep@Example.com ', undefined, 'Ignored');
    expect(user).toMatchObject({
      email: 'keep@example.com',
      isSuperuser: true,
      status: 'active',
      hashedPassword: 'old-hash',
    });
    expect(rows).toHaveLength(1);
    expect(audited).toEqual([
      expect.objectContaining({
        event: 'admin_action',
        action: 'promote',
        actor: 'system',
        via: 'cli',
        target_id: 'id-0',
        is_superuser: true,
      }),
    ]);
  });

  it('creates a new superuser when a password is given', async () => {
    const { rows, repository } = fakeUsers([]);
    await service(repository).createOrPromoteSuperuser('New@Example.com', 'NewPass123', 'New Admin');
    expect(rows).toEqual([
      expect.objectContaining({ email: 'new@example.com', fullName: 'New Admin', isSuperuser: true, status: 'active' }),
    ]);
    expect(audited).toEqual([
      expect.objectContaining({
        event: 'user_created',
        user_id: 'id-0',
        actor: 'system',
        via: 'cli',
        is_superuser: true,
      }),
    ]);
  });

  it('needs an acceptable password to create one', async () => {
    const { repository } = fakeUsers([]);
    await expect(service(repository).createOrPromoteSuperuser('new@example.com', undefined, 'X')).rejects.toThrow(
      /a password is needed/,
    );
    await expect(service(repository).createOrPromoteSuperuser('new@example.com', 'weak', 'X')).rejects.toThrow(
      /not acceptable/,
    );
  });

  it.each([
    ['a quoted local part', '"<a@evil.example>"@example.com', /quoted local part/],
    ['a line break', 'admin@example.com\r\nBcc: x@evil.example', /control characters/],
    ['a bidi override', 'a\u202Eb@example.com', /invisible formatting/],
  ])('refuses an address with %s, as sign-up does', async (_, email, message) => {
    const { rows, repository } = fakeUsers([]);
    await expect(service(repository).createOrPromoteSuperuser(email, 'NewPass123', 'X')).rejects.toThrow(message);
    expect(rows).toEqual([]);
  });

  it.each(['Ad\nmin', 'Ad\u202Emin', 'Ad\u0000min'])(
    'refuses the name %j, as sign-up refuses such a full_name',
    async (name) => {
      const { rows, repository } = fakeUsers([]);
      await expect(service(repository).createOrPromoteSuperuser('new@example.com', 'NewPass123', name)).rejects.toThrow(
        /control characters or bidirectional overrides/,
      );
      expect(rows).toEqual([]);
    },
  );

  it('refuses an address that mixes scripts', async () => {
    const { repository } = fakeUsers([]);
    await expect(service(repository).createOrPromoteSuperuser('аdmin@example.com', 'NewPass123', 'X')).rejects.toThrow(
      /mix scripts/,
    );
  });
});
