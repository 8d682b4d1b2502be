import { ConflictException } from '@nestjs/common';
import { EntityManager } from 'typeorm';
import { AdminMfaPolicy, loadConfig } from '../config/app-config';
import { User } from '../database/entities/user.entity';
import {
  ADMIN_FACTOR_MISSING,
  AdminFactorPolicy,
  LAST_ADMIN_FACTOR,
  RemovedFactor,
  satisfies,
} from './admin-factor-policy.service';
import { AdminFactorsRepository, FactorHolder } from './admin-factors.repository';
import { PasskeysRepository } from './passkeys.repository';

const DAY_MS = 86_400_000;
const TX = {} as EntityManager;

/** What the policy reads, in memory: a user's passkeys, grace start and factors. */
class FakeFactors {
  hasPasskey = false;
  graceStarted?: Date;
  holder?: FactorHolder;
  graceAsked = 0;

  existsForUser(): Promise<boolean> {
    return Promise.resolve(this.hasPasskey);
  }

  graceStartedAt(): Promise<Date> {
    this.graceAsked += 1;
    this.graceStarted ??= new Date();
    return Promise.resolve(this.graceStarted);
  }

  factorsOf(): Promise<FactorHolder | undefined> {
    return Promise.resolve(this.holder);
  }

  lockUser(): Promise<void> {
    return Promise.resolve();
  }
}

function policyWith(required: AdminMfaPolicy, graceDays: number, factors: FakeFactors): AdminFactorPolicy {
  const config = loadConfig({ ADMIN_MFA_REQUIRED: required, ADMIN_MFA_GRACE_DAYS: String(graceDays) });
  return new AdminFactorPolicy(
    config,
    factors as unknown as PasskeysRepository,
    factors as unknown as AdminFactorsRepository,
  );
}

function user(fields: Partial<User> = {}): User {
  return Object.assign(new User(), { id: 'u1', isSuperuser: true, mfaEnabled: false, ...fields });
}

describe('satisfies', () => {
  it.each([
    ['off', false, false, true],
    ['any', true, false, true],
    ['any', false, true, true],
    ['any', false, false, false],
    ['passkey', true, false, false],
    ['passkey', false, true, true],
  ] as const)('%s with TOTP %s and a passkey %s: %s', (required, hasTotp, hasPasskey, expected) => {
    expect(satisfies(required, { hasTotp, hasPasskey })).toBe(expected);
  });
});

describe('AdminFactorPolicy', () => {
  it('asks nothing of non-superusers, nor with the policy off, and reads nothing for them', async () => {
    const factors = new FakeFactors();
    expect(await policyWith('passkey', 0, factors).status(user({ isSuperuser: false }))).toEqual({
      required: 'off',
      satisfied: true,
      graceEndsAt: null,
      blocked: false,
    });
    expect(await policyWith('off', 0, factors).refusal(user())).toBeUndefined();
    expect(factors.graceAsked).toBe(0);
  });

  it('counts TOTP under `any` without asking for passkeys or starting a grace period', async () => {
    const factors = new FakeFactors();
    expect(await policyWith('any', 0, factors).refusal(user({ mfaEnabled: true }))).toBeUndefined();
    expect(factors.graceAsked).toBe(0);
  });

  it('does not count TOTP under `passkey`', async () => {
    const factors = new FakeFactors();
    expect(await policyWith('passkey', 0, factors).refusal(user({ mfaEnabled: true }))).toBe(
      ADMIN_FACTOR_MISSING.passkey,
    );
    factors.hasPasskey = true;
    expect(await policyWith('passkey', 0, factors).refusal(user({ mfaEnabled: true }))).toBeUndefined();
  });

  it('lets an admin without the factor through during the grace period, and refuses after it', async () => {
    const factors = new FakeFactors();
    const policy = policyWith('any', 7, factors);
    const status = await policy.status(user());
    expect(status.satisfied).toBe(false);
    expect(status.blocked).toBe(false);
    expect(status.graceEndsAt!.getTime() - factors.graceStarted!.getTime()).toBe(7 * DAY_MS);
    expect(await policy.refusal(user())).toBeUndefined();

    factors.graceStarted = new Date(Date.now() - 7 * DAY_MS - 1000);
    expect(await policy.refusal(user())).toBe(ADMIN_FACTOR_MISSING.any);
    expect(ADMIN_FACTOR_MISSING.any).toContain('/account');
  });

  it('refuses at once with no grace days', async () => {
    expect(await policyWith('passkey', 0, new FakeFactors()).refusal(user())).toBe(ADMIN_FACTOR_MISSING.passkey);
  });

  describe('refuseLeavingUnprotected', () => {
    const cases: Array<[AdminMfaPolicy, RemovedFactor, FactorHolder, boolean]> = [
      ['any', 'passkey', { isSuperuser: true, hasTotp: false, hasPasskey: false }, true],
      ['any', 'passkey', { isSuperuser: true, hasTotp: true, hasPasskey: false }, false],
      ['any', 'totp', { isSuperuser: true, hasTotp: false, hasPasskey: false }, true],
      ['any', 'totp', { isSuperuser: true, hasTotp: false, hasPasskey: true }, false],
      ['passkey', 'passkey', { isSuperuser: true, hasTotp: true, hasPasskey: false }, true],
      ['passkey', 'passkey', { isSuperuser: true, hasTotp: false, hasPasskey: true }, false],
      // TOTP never counted under `passkey`: taking it away leaves the admin as protected as before.
      ['passkey', 'totp', { isSuperuser: true, hasTotp: false, hasPasskey: false }, false],
      ['any', 'passkey', { isSuperuser: false, hasTotp: false, hasPasskey: false }, false],
      ['off', 'passkey', { isSuperuser: true, hasTotp: false, hasPasskey: false }, false],
    ];
    it.each(cases)('%s, removing %s, leaving %j: refused %s', async (required, removed, holder, refused) => {
      const factors = new FakeFactors();
      factors.holder = holder;
      const check = policyWith(required, 14, factors).refuseLeavingUnprotected('u1', removed, TX);
      if (refused) {
        await expect(check).rejects.toThrow(new ConflictException(LAST_ADMIN_FACTOR));
      } else {
        await expect(check).resolves.toBeUndefined();
      }
    });
  });
});
