import { BadRequestException, ForbiddenException, NotFoundException } from '@nestjs/common';
import { AuditTrail, RecordAuditEvent } from '../audit/audit-trail.service';
import { AppConfig } from '../config/app-config';
import { User } from '../database/entities/user.entity';
import { MailService } from '../mail/mail.service';
import { AdminUsersRepository, UserChange } from './admin-users.repository';
import { AdminAction, AdminUsersService } from './admin-users.service';

/** AuditTrail over a fake transaction: each event it records goes to `record`. */
const auditTrailRecordingTo = (record: RecordAuditEvent) =>
  ({
    run: (work: (tx: unknown, record: RecordAuditEvent) => Promise<unknown>) => work({}, record),
  }) as unknown as AuditTrail;

describe('AdminUsersService.apply', () => {
  const log = jest.fn(() => Promise.resolve());
  let rows: User[];
  /** Applies the change to the in-memory rows, as the repository does under its row locks. */
  const repository = {
    changeWithBothLocked: (actorId: string, targetId: string, change: UserChange) => {
      const target = rows.find((row) => row.id === targetId);
      const update = change(
        rows.find((row) => row.id === actorId),
        target,
      );
      return Promise.resolve(Object.assign(target!, update));
    },
  } as unknown as AdminUsersRepository;
  const enqueue = jest.fn(() => Promise.resolve());
  const service = new AdminUsersService(
    repository,
    auditTrailRecordingTo(log),
    { enqueue } as unknown as MailService,
    { publicUrl: 'https://regshield.example' } as AppConfig,
  );
  const user = (id: string, overrides: Partial<User> = {}) =>
    Object.assign(new User(), { id, email: `${id}@example.com`, status: 'active', isSuperuser: false, ...overrides });

  beforeEach(() => {
    log.mockClear();
    enqueue.mockClear();
    rows = [
      user('admin', { isSuperuser: true }),
      user('other-admin', { isSuperuser: true }),
      user('pending', { status: 'pending' }),
      user('member'),
    ];
  });

  it.each([
    ['activate', 'pending', { status: 'active' }],
    ['deactivate', 'member', { status: 'deactivated' }],
    ['promote', 'member', { isSuperuser: true }],
    ['demote', 'other-admin', { isSuperuser: false }],
  ] as const)('%s %s', async (action, target, expected) => {
    await expect(service.apply(action, 'admin', target, '192.0.2.9')).resolves.toMatchObject(expected);
    expect(log).toHaveBeenCalledWith(
      'admin_action',
      expect.objectContaining({ ip: '192.0.2.9', action, actor_id: 'admin', target_id: target }),
    );
  });

  it.each([
    ['deactivate', 'admin', 'Cannot deactivate your own account'],
    ['demote', 'admin', 'Cannot demote yourself'],
    ['promote', 'other-admin', 'User is already an admin'],
    ['demote', 'member', 'User is not an admin'],
  ] as Array<[AdminAction, string, string]>)('refuses to %s %s: %s', async (action, target, message) => {
    await expect(service.apply(action, 'admin', target, '192.0.2.9')).rejects.toEqual(new BadRequestException(message));
    expect(log).not.toHaveBeenCalled();
  });

  it('refuses an actor who is no longer an active superuser (403), then an unknown target (404)', async () => {
    rows[0].status = 'deactivated';
    await expect(service.apply('promote', 'admin', 'member', '192.0.2.9')).rejects.toThrow(ForbiddenException);
    rows[0].status = 'active';
    await expect(service.apply('promote', 'admin', 'nobody', '192.0.2.9')).rejects.toThrow(NotFoundException);
  });

  it('queues the activation notice for a user who was not active, and none for one who already was', async () => {
    rows[2].fullName = 'Pat <Pending>';
    await service.apply('activate', 'admin', 'pending', '192.0.2.9');
    expect(enqueue).toHaveBeenCalledTimes(1);
    expect(enqueue).toHaveBeenCalledWith(
      expect.objectContaining({ kind: 'account_activated', to: 'pending@example.com' }),
      expect.anything(),
    );
    enqueue.mockClear();
    await service.apply('activate', 'admin', 'member', '192.0.2.9');
    expect(enqueue).not.toHaveBeenCalled();
  });
});

describe('AdminUsersService.applyToEach', () => {
  const [first, second, third] = [
    '11111111-1111-4111-8111-111111111111',
    '22222222-2222-4222-8222-222222222222',
    '33333333-3333-4333-8333-333333333333',
  ];
  const attempted: string[] = [];
  let failure: (targetId: string) => Error | undefined;
  const repository = {
    changeWithBothLocked: (_actorId: string, targetId: string) => {
      attempted.push(targetId);
      const error = failure(targetId);
      return error
        ? Promise.reject(error)
        : Promise.resolve(Object.assign(new User(), { id: targetId, email: 'x@example.com' }));
    },
  } as unknown as AdminUsersRepository;
  const service = new AdminUsersService(
    repository,
    auditTrailRecordingTo(() => Promise.resolve()),
    { enqueue: () => Promise.resolve() } as unknown as MailService,
    { publicUrl: 'https://regshield.example' } as AppConfig,
  );

  beforeEach(() => {
    attempted.length = 0;
  });

  it('answers a refused id with its status and goes on with the next', async () => {
    failure = (id) => (id === first ? new BadRequestException('User is already an admin') : undefined);
    const outcomes = await service.applyToEach('promote', 'actor', [first, 'nope', second], '192.0.2.9');
    expect(outcomes).toEqual([
      { id: first, ok: false, statusCode: 400, message: 'User is already an admin' },
      { id: 'nope', ok: false, statusCode: 404, message: 'User not found' },
      { id: second, ok: true, user: expect.objectContaining({ id: second }) },
    ]);
    expect(attempted).toEqual([first, second]);
  });

  it('stops at a database outage: that id and the ones after it are 503 and not attempted', async () => {
    failure = (id) =>
      id === second
        ? Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:5432'), { code: 'ECONNREFUSED' })
        : undefined;
    const outcomes = await service.applyToEach('activate', 'actor', [first, second, third], '192.0.2.9');
    expect(outcomes).toEqual([
      { id: first, ok: true, user: expect.objectContaining({ id: first }) },
      { id: second, ok: false, statusCode: 503, message: 'Database unavailable' },
      { id: third, ok: false, statusCode: 503, message: 'Database unavailable' },
    ]);
    expect(attempted).toEqual([first, second]);
  });
});
