import { BadRequestException, ForbiddenException, NotFoundException } from '@nestjs/common';
import { SecurityLogService } from '../common/security-log.service';
import { User } from '../database/entities/user.entity';
import { AdminUsersRepository, UserChange } from './admin-users.repository';
import { AdminAction, AdminUsersService } from './admin-users.service';

describe('AdminUsersService.apply', () => {
  const log = jest.fn();
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
  const service = new AdminUsersService(repository, { log } as unknown as SecurityLogService);
  const user = (id: string, overrides: Partial<User> = {}) =>
    Object.assign(new User(), { id, email: `${id}@example.com`, status: 'active', isSuperuser: false, ...overrides });

  beforeEach(() => {
    log.mockClear();
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
});
