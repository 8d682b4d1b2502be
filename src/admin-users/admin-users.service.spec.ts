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
