import { AuditTrail, RecordAuditEvents } from '../audit/audit-trail.service';
import { ADMIN_REQUIRED } from '../auth/guards/superuser.guard';
import { AppConfig } from '../config/app-config';
import { User } from '../database/entities/user.entity';
import { MailMessage } from '../mail/mail-message';
import { MailService } from '../mail/mail.service';
import { AdminUsersRepository } from './admin-users.repository';
import { AdminAction } from './admin-users.service';
import { BulkAdminActionsService, decideEach } from './bulk-admin-actions.service';

const ADMIN = '00000000-0000-4000-8000-000000000000';
const OTHER_ADMIN = '11111111-1111-4111-8111-111111111111';
const PENDING = '2222aaaa-2222-4222-8222-22222222222b';
const MEMBER = '33333333-3333-4333-8333-333333333333';
const DEACTIVATED = '44444444-4444-4444-8444-444444444444';
const UNKNOWN = '55555555-5555-4555-8555-555555555555';

const user = (id: string, overrides: Partial<User> = {}) =>
  Object.assign(new User(), {
    id,
    email: `${id}@example.com`,
    fullName: id,
    status: 'active',
    isSuperuser: false,
    ...overrides,
  });

const rows = () => [
  user(ADMIN, { isSuperuser: true }),
  user(OTHER_ADMIN, { isSuperuser: true }),
  user(PENDING, { status: 'pending' }),
  user(MEMBER),
  user(DEACTIVATED, { status: 'deactivated' }),
];

describe('decideEach', () => {
  const refused = (id: string, statusCode: number, message: string) => ({ id, ok: false, statusCode, message });
  const accepted = (id: string) => ({ id, ok: true, target: expect.objectContaining({ id }) });

  it.each([
    ['activate', [accepted(PENDING), accepted(MEMBER), accepted(DEACTIVATED), accepted(ADMIN)]],
    [
      'deactivate',
      [
        accepted(PENDING),
        accepted(MEMBER),
        accepted(DEACTIVATED),
        refused(ADMIN, 400, 'Cannot deactivate your own account'),
      ],
    ],
    [
      'promote',
      [accepted(PENDING), accepted(MEMBER), accepted(DEACTIVATED), refused(ADMIN, 400, 'User is already an admin')],
    ],
    [
      'demote',
      [
        refused(PENDING, 400, 'User is not an admin'),
        refused(MEMBER, 400, 'User is not an admin'),
        refused(DEACTIVATED, 400, 'User is not an admin'),
        refused(ADMIN, 400, 'Cannot demote yourself'),
      ],
    ],
  ] as Array<[AdminAction, unknown[]]>)('%s: the rules of the single route, per id', (action, expected) => {
    expect(decideEach(action, ADMIN, [PENDING, MEMBER, DEACTIVATED, ADMIN], rows())).toEqual(expected);
  });

  it('demotes another admin', () => {
    expect(decideEach('demote', ADMIN, [OTHER_ADMIN], rows())).toEqual([accepted(OTHER_ADMIN)]);
  });

  it('answers 404 for an id with no row, and for one that differs from its row in letter case, as the single route', () => {
    expect(decideEach('activate', ADMIN, [UNKNOWN, PENDING.toUpperCase()], rows())).toEqual([
      refused(UNKNOWN, 404, 'User not found'),
      refused(PENDING.toUpperCase(), 404, 'User not found'),
    ]);
  });

  it.each([
    ['deactivated', { status: 'deactivated' as const }],
    ['pending', { status: 'pending' as const }],
    ['no longer a superuser', { isSuperuser: false }],
  ])('answers 403 for every id, unknown ones included, when the actor is %s', (_case, change) => {
    const locked = rows();
    Object.assign(locked[0], change);
    expect(decideEach('activate', ADMIN, [PENDING, UNKNOWN], locked)).toEqual([
      refused(PENDING, 403, ADMIN_REQUIRED),
      refused(UNKNOWN, 403, ADMIN_REQUIRED),
    ]);
  });

  it('answers 403 when the actor has no row any more', () => {
    expect(decideEach('activate', ADMIN, [PENDING], rows().slice(1))).toEqual([refused(PENDING, 403, ADMIN_REQUIRED)]);
  });
});

describe('BulkAdminActionsService.applyToAll', () => {
  let stored: User[];
  let failure: Error | undefined;
  const statements: string[] = [];
  const recorded: Array<{ event: string; fields: Record<string, unknown>[] }> = [];
  const queued: MailMessage[] = [];

  /** The repository over in-memory rows, one call per statement, as the real one sends them. */
  const repository = {
    lockActorAndTargets: (actorId: string, ids: string[]) => {
      statements.push('lock');
      if (failure) return Promise.reject(failure);
      return Promise.resolve(
        stored.filter((row) => [actorId, ...ids].includes(row.id)).map((row) => user(row.id, row)),
      );
    },
    changeAll: (ids: string[], change: Partial<User>) => {
      statements.push(`update ${ids.length}`);
      const changed = stored.filter((row) => ids.includes(row.id));
      for (const row of changed) Object.assign(row, change);
      return Promise.resolve(changed.map((row) => user(row.id, row)));
    },
  } as unknown as AdminUsersRepository;
  const auditTrail = {
    run: (work: (tx: unknown, record: unknown, recordAll: RecordAuditEvents) => Promise<unknown>) =>
      work({}, undefined, (event, fields) => {
        recorded.push({ event, fields });
        return Promise.resolve();
      }),
  } as unknown as AuditTrail;
  const mail = {
    enqueueAll: (messages: MailMessage[]) => {
      queued.push(...messages);
      return Promise.resolve();
    },
  } as unknown as MailService;
  const service = new BulkAdminActionsService(repository, auditTrail, mail, {
    publicUrl: 'https://regshield.example',
  } as AppConfig);

  beforeEach(() => {
    stored = rows();
    failure = undefined;
    statements.length = 0;
    recorded.length = 0;
    queued.length = 0;
  });

  it('answers each id in request order, changes the accepted ones in one statement and records one row each', async () => {
    const outcomes = await service.applyToAll(
      'deactivate',
      ADMIN,
      [MEMBER, 'nope', ADMIN, UNKNOWN, PENDING],
      '192.0.2.9',
    );
    expect(outcomes).toEqual([
      { id: MEMBER, ok: true, user: expect.objectContaining({ id: MEMBER, status: 'deactivated' }) },
      { id: 'nope', ok: false, statusCode: 404, message: 'User not found' },
      { id: ADMIN, ok: false, statusCode: 400, message: 'Cannot deactivate your own account' },
      { id: UNKNOWN, ok: false, statusCode: 404, message: 'User not found' },
      { id: PENDING, ok: true, user: expect.objectContaining({ id: PENDING, status: 'deactivated' }) },
    ]);
    expect(statements).toEqual(['lock', 'update 2']);
    expect(recorded).toEqual([
      {
        event: 'admin_action',
        fields: [MEMBER, PENDING].map((id) => ({
          ip: '192.0.2.9',
          action: 'deactivate',
          actor_id: ADMIN,
          target_id: id,
          target_email: `${id}@example.com`,
          is_active: false,
          is_superuser: false,
        })),
      },
    ]);
    expect(queued).toEqual([]);
  });

  it('queues the activation notice for each user who was not active, and none for one who already was', async () => {
    await service.applyToAll('activate', ADMIN, [PENDING, MEMBER, DEACTIVATED], '192.0.2.9');
    expect(queued.map((message) => [message.kind, message.to])).toEqual([
      ['account_activated', `${PENDING}@example.com`],
      ['account_activated', `${DEACTIVATED}@example.com`],
    ]);
  });

  it('sends nothing to the database for malformed ids only', async () => {
    const outcomes = await service.applyToAll('activate', ADMIN, ['nope', '1'], '192.0.2.9');
    expect(outcomes.map((outcome) => outcome.ok || outcome.statusCode)).toEqual([404, 404]);
    expect(statements).toEqual([]);
  });

  it('changes nothing and records nothing when every id is refused', async () => {
    const outcomes = await service.applyToAll('demote', ADMIN, [MEMBER, ADMIN], '192.0.2.9');
    expect(outcomes.map((outcome) => outcome.ok || outcome.statusCode)).toEqual([400, 400]);
    expect(statements).toEqual(['lock', 'update 0']);
    expect(recorded).toEqual([{ event: 'admin_action', fields: [] }]);
  });

  it.each([
    [
      'the database stops answering: 503',
      Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:5432'), { code: 'ECONNREFUSED' }),
      503,
      'Database unavailable',
    ],
    ['something unexpected fails: 500', new Error('boom'), 500, 'Internal server error'],
  ])(
    'when %s for every well-formed id, none done; a malformed one is still 404',
    async (_case, error, statusCode, message) => {
      failure = error;
      const outcomes = await service.applyToAll('activate', ADMIN, [PENDING, 'nope', MEMBER], '192.0.2.9');
      expect(outcomes).toEqual([
        { id: PENDING, ok: false, statusCode, message },
        { id: 'nope', ok: false, statusCode: 404, message: 'User not found' },
        { id: MEMBER, ok: false, statusCode, message },
      ]);
      expect(recorded).toEqual([]);
    },
  );
});
