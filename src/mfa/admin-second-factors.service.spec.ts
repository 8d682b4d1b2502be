import { ConflictException, NotFoundException } from '@nestjs/common';
import { EntityManager } from 'typeorm';
import { AuditTrail } from '../audit/audit-trail.service';
import { UsersRepository } from '../auth/users.repository';
import { SecurityEvent, SecurityEventFields } from '../common/security-log.service';
import { User } from '../database/entities/user.entity';
import { AdminFactorPolicy, LAST_ADMIN_FACTOR, RemovedFactor } from '../passkeys/admin-factor-policy.service';
import { PasskeysRepository } from '../passkeys/passkeys.repository';
import { AdminSecondFactorsService } from './admin-second-factors.service';
import { MfaRepository } from './mfa.repository';

const IP = '192.0.2.7';
const TX = {} as EntityManager;

function user(id: string): User {
  return Object.assign(new User(), { id, email: `${id}@example.com`, isSuperuser: true, mfaEnabled: false });
}

const ADMIN = user('admin');
const TARGET = user('target');

/** The users, TOTP and passkeys tables, the policy and the audit trail in memory, as the service uses them. */
class World {
  readonly users = new Map([ADMIN, TARGET].map((u) => [u.id, u]));
  readonly totpOn = new Set<string>();
  passkeys: Array<{ id: string; userId: string; name: string }> = [];
  readonly recorded: Array<{ event: SecurityEvent; fields: SecurityEventFields }> = [];
  readonly policyChecks: Array<{ userId: string; removed: RemovedFactor }> = [];
  /** What refuseLeavingUnprotected does when asked: nothing, or the 409. */
  refuse = false;

  loadById(id: string): Promise<User | null> {
    return Promise.resolve(this.users.get(id) ?? null);
  }

  removeSecondFactor(userId: string): Promise<boolean> {
    return Promise.resolve(this.totpOn.delete(userId));
  }

  listOfUser(userId: string) {
    return Promise.resolve(this.passkeys.filter((passkey) => passkey.userId === userId));
  }

  deleteAllOfUser(userId: string): Promise<Array<{ id: string; name: string }>> {
    const removed = this.passkeys.filter((passkey) => passkey.userId === userId);
    this.passkeys = this.passkeys.filter((passkey) => passkey.userId !== userId);
    return Promise.resolve(removed.map(({ id, name }) => ({ id, name })));
  }

  deleteOwn(id: string, userId: string): Promise<string | undefined> {
    const passkey = this.passkeys.find((p) => p.id === id && p.userId === userId);
    this.passkeys = this.passkeys.filter((p) => p !== passkey);
    return Promise.resolve(passkey?.name);
  }

  lockFactorsOf(): Promise<void> {
    return Promise.resolve();
  }

  refuseLeavingUnprotected(userId: string, removed: RemovedFactor): Promise<void> {
    this.policyChecks.push({ userId, removed });
    return this.refuse ? Promise.reject(new ConflictException(LAST_ADMIN_FACTOR)) : Promise.resolve();
  }

  /** AuditTrail.run without the transaction: a refusal leaves nothing recorded, as a rollback would. */
  async run<T>(
    work: (
      tx: EntityManager,
      record: (event: SecurityEvent, fields: SecurityEventFields) => Promise<void>,
      recordAll: (event: SecurityEvent, fieldsOfEach: SecurityEventFields[]) => Promise<void>,
    ) => Promise<T>,
  ): Promise<T> {
    const pending: World['recorded'] = [];
    const result = await work(
      TX,
      (event, fields) => Promise.resolve(void pending.push({ event, fields })),
      (event, fieldsOfEach) => Promise.resolve(void pending.push(...fieldsOfEach.map((fields) => ({ event, fields })))),
    );
    this.recorded.push(...pending);
    return result;
  }

  events(): SecurityEvent[] {
    return this.recorded.map((entry) => entry.event);
  }
}

function serviceOver(world: World): AdminSecondFactorsService {
  return new AdminSecondFactorsService(
    world as unknown as UsersRepository,
    world as unknown as MfaRepository,
    world as unknown as PasskeysRepository,
    world as unknown as AdminFactorPolicy,
    world as unknown as AuditTrail,
  );
}

describe('AdminSecondFactorsService', () => {
  let world: World;
  let service: AdminSecondFactorsService;

  beforeEach(() => {
    world = new World();
    service = serviceOver(world);
  });

  describe('removeAll', () => {
    it('removes TOTP and every passkey of another user, with no policy check, and records each', async () => {
      world.totpOn.add(TARGET.id);
      world.passkeys = [
        { id: 'p1', userId: TARGET.id, name: 'Laptop' },
        { id: 'p2', userId: TARGET.id, name: 'Phone' },
        { id: 'p3', userId: ADMIN.id, name: 'Mine' },
      ];

      await service.removeAll(ADMIN, TARGET.id, IP);

      expect(world.totpOn.has(TARGET.id)).toBe(false);
      expect(world.passkeys.map((passkey) => passkey.id)).toEqual(['p3']);
      expect(world.policyChecks).toEqual([]);
      expect(world.recorded).toEqual([
        {
          event: 'admin_action',
          fields: {
            ip: IP,
            action: 'remove_mfa',
            actor_id: ADMIN.id,
            target_id: TARGET.id,
            target_email: TARGET.email,
            mfa_was_enabled: true,
            passkeys_removed: 2,
          },
        },
        { event: 'mfa_disabled', fields: { ip: IP, email: TARGET.email, user_id: TARGET.id, actor_id: ADMIN.id } },
        ...[
          ['p1', 'Laptop'],
          ['p2', 'Phone'],
        ].map(([id, name]) => ({
          event: 'passkey_removed',
          fields: { ip: IP, email: TARGET.email, user_id: TARGET.id, passkey_id: id, name, actor_id: ADMIN.id },
        })),
      ]);
    });

    it('records only the admin action when there was nothing to remove', async () => {
      await service.removeAll(ADMIN, TARGET.id, IP);
      expect(world.events()).toEqual(['admin_action']);
      expect(world.recorded[0].fields).toMatchObject({ mfa_was_enabled: false, passkeys_removed: 0 });
    });

    it.each([
      ['passkeys and TOTP', true, true, 'passkey'],
      ['passkeys only', false, true, 'passkey'],
      ['TOTP only', true, false, 'totp'],
    ] as const)(
      'asks the policy about the factor taken when an admin removes their own (%s)',
      async (_, totp, passkey, removed) => {
        if (totp) world.totpOn.add(ADMIN.id);
        if (passkey) world.passkeys = [{ id: 'p1', userId: ADMIN.id, name: 'Laptop' }];
        await service.removeAll(ADMIN, ADMIN.id, IP);
        expect(world.policyChecks).toEqual([{ userId: ADMIN.id, removed }]);
      },
    );

    it('asks nothing of the policy when an admin with no factor removes their own', async () => {
      await service.removeAll(ADMIN, ADMIN.id, IP);
      expect(world.policyChecks).toEqual([]);
    });

    it('records nothing when the policy refuses an admin their own last factor', async () => {
      world.passkeys = [{ id: 'p1', userId: ADMIN.id, name: 'Laptop' }];
      world.refuse = true;
      await expect(service.removeAll(ADMIN, ADMIN.id, IP)).rejects.toThrow(ConflictException);
      expect(world.recorded).toEqual([]);
    });

    it('answers 404 for an unknown user', async () => {
      await expect(service.removeAll(ADMIN, 'nobody', IP)).rejects.toThrow(new NotFoundException('User not found'));
    });
  });

  describe('removePasskey', () => {
    beforeEach(() => {
      world.passkeys = [
        { id: 'p1', userId: TARGET.id, name: 'Phone' },
        { id: 'p2', userId: ADMIN.id, name: 'Mine' },
      ];
    });

    it('removes one passkey of another user, with no policy check, and records it', async () => {
      await service.removePasskey(ADMIN, TARGET.id, 'p1', IP);
      expect(world.passkeys.map((passkey) => passkey.id)).toEqual(['p2']);
      expect(world.policyChecks).toEqual([]);
      expect(world.recorded).toEqual([
        {
          event: 'admin_action',
          fields: {
            ip: IP,
            action: 'remove_passkey',
            actor_id: ADMIN.id,
            target_id: TARGET.id,
            target_email: TARGET.email,
            passkey_id: 'p1',
            name: 'Phone',
          },
        },
        {
          event: 'passkey_removed',
          fields: {
            ip: IP,
            email: TARGET.email,
            user_id: TARGET.id,
            passkey_id: 'p1',
            name: 'Phone',
            actor_id: ADMIN.id,
          },
        },
      ]);
    });

    it('answers 404 for another user’s passkey or an unknown user, and removes nothing', async () => {
      await expect(service.removePasskey(ADMIN, TARGET.id, 'p2', IP)).rejects.toThrow(
        new NotFoundException('Passkey not found'),
      );
      await expect(service.removePasskey(ADMIN, 'nobody', 'p1', IP)).rejects.toThrow(
        new NotFoundException('User not found'),
      );
      expect(world.passkeys).toHaveLength(2);
      expect(world.recorded).toEqual([]);
    });

    it('asks the policy when an admin removes their own passkey', async () => {
      await service.removePasskey(ADMIN, ADMIN.id, 'p2', IP);
      expect(world.policyChecks).toEqual([{ userId: ADMIN.id, removed: 'passkey' }]);
    });
  });

  it('lists the passkeys of a known user only', async () => {
    world.passkeys = [{ id: 'p1', userId: TARGET.id, name: 'Phone' }];
    expect(await service.listPasskeys(TARGET.id)).toEqual([{ id: 'p1', userId: TARGET.id, name: 'Phone' }]);
    await expect(service.listPasskeys('nobody')).rejects.toThrow(NotFoundException);
  });
});
