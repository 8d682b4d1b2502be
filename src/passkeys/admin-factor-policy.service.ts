import { ConflictException, Injectable } from '@nestjs/common';
import { EntityManager } from 'typeorm';
import { AdminMfaPolicy, AppConfig } from '../config/app-config';
import { InjectConfig } from '../config/config.module';
import { User } from '../database/entities/user.entity';
import { AdminFactorsRepository } from './admin-factors.repository';
import { PasskeysRepository } from './passkeys.repository';

const DAY_MS = 86_400_000;

/** The 403 of an admin route to a superuser past the grace period without the factor the policy asks for. */
export const ADMIN_FACTOR_MISSING: Record<Exclude<AdminMfaPolicy, 'off'>, string> = {
  any: 'Administrators need a second factor: add a passkey or an authenticator app on /account',
  passkey: 'Administrators need a passkey: add one on /account',
};

export const LAST_ADMIN_FACTOR =
  'Cannot remove the last second factor of an administrator (ADMIN_MFA_REQUIRED): add another one first';

/** The second factor a second factor removal takes away. */
export type RemovedFactor = 'passkey' | 'totp';

/** Where a user stands against ADMIN_MFA_REQUIRED. */
export interface AdminFactorStatus {
  /** `off` for everyone but superusers. */
  required: AdminMfaPolicy;
  satisfied: boolean;
  /** When an unsatisfied superuser loses the admin routes (or lost them); null when satisfied. */
  graceEndsAt: Date | null;
  blocked: boolean;
}

/** Whether a user with these factors has what the policy asks for. */
export function satisfies(required: AdminMfaPolicy, factors: { hasTotp: boolean; hasPasskey: boolean }): boolean {
  if (required === 'off') return true;
  return factors.hasPasskey || (required === 'any' && factors.hasTotp);
}

function satisfiedStatus(required: AdminMfaPolicy): AdminFactorStatus {
  return { required, satisfied: true, graceEndsAt: null, blocked: false };
}

/**
 * ADMIN_MFA_REQUIRED: a superuser without the second factor it asks for (`any`: TOTP or a passkey;
 * `passkey`: a passkey) keeps the admin routes for ADMIN_MFA_GRACE_DAYS, counted from the first time this
 * policy saw that superuser without it (an admin request, or the console asking for the status), and is
 * refused them afterwards until one is added. The grace never restarts, not even after a demotion and a new
 * promotion. Such a superuser may not remove the last factor that counts.
 */
@Injectable()
export class AdminFactorPolicy {
  constructor(
    @InjectConfig() private readonly config: AppConfig,
    private readonly passkeys: PasskeysRepository,
    private readonly factors: AdminFactorsRepository,
  ) {}

  async status(user: User): Promise<AdminFactorStatus> {
    const required = user.isSuperuser ? this.config.adminMfa.required : 'off';
    // TOTP is on the user already; only a superuser without it (or under `passkey`) costs a query.
    if (satisfies(required, { hasTotp: user.mfaEnabled, hasPasskey: false })) return satisfiedStatus(required);
    if (await this.passkeys.existsForUser(user.id)) return satisfiedStatus(required);
    const started = await this.factors.graceStartedAt(user.id);
    const graceEndsAt = new Date(started.getTime() + this.config.adminMfa.graceDays * DAY_MS);
    return { required, satisfied: false, graceEndsAt, blocked: graceEndsAt.getTime() <= Date.now() };
  }

  /** The 403 message for an admin route, or undefined when the user may use them. */
  async refusal(user: User): Promise<string | undefined> {
    const status = await this.status(user);
    return status.blocked && status.required !== 'off' ? ADMIN_FACTOR_MISSING[status.required] : undefined;
  }

  /**
   * Call inside the transaction that removes a factor, after lockUser and the removal: 409 (rolling the
   * removal back) when it took the last factor that counts from a superuser the policy applies to.
   */
  async refuseLeavingUnprotected(userId: string, removed: RemovedFactor, tx: EntityManager): Promise<void> {
    const required = this.config.adminMfa.required;
    if (required === 'off' || (removed === 'totp' && required === 'passkey')) return;
    const holder = await this.factors.factorsOf(userId, tx);
    if (holder?.isSuperuser && !satisfies(required, holder)) throw new ConflictException(LAST_ADMIN_FACTOR);
  }

  /** Locks the user's row: additions and removals of its factors run one at a time (see refuseLeavingUnprotected). */
  lockFactorsOf(userId: string, tx: EntityManager): Promise<void> {
    return this.factors.lockUser(userId, tx);
  }
}
