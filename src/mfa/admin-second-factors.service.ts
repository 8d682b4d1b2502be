import { Injectable, NotFoundException } from '@nestjs/common';
import { EntityManager } from 'typeorm';
import { AuditTrail } from '../audit/audit-trail.service';
import { UsersRepository } from '../auth/users.repository';
import { User } from '../database/entities/user.entity';
import { AdminFactorPolicy, RemovedFactor } from '../passkeys/admin-factor-policy.service';
import { PasskeysRepository, PasskeySummary } from '../passkeys/passkeys.repository';
import { PASSKEY_NOT_FOUND } from '../passkeys/passkeys.service';
import { MfaRepository } from './mfa.repository';

/**
 * An admin's help with another user's second factors, for a lost or stolen phone: all of them at once (TOTP,
 * its recovery codes and every passkey, since a passkey alone signs in), or one passkey, the lost device's.
 * Each removal is audited in its own transaction, under the user's row lock (as the user's own additions and
 * removals are). The user's sessions are left alone, as they always were here: they do not record which factor
 * opened them, and ending a stolen device's session is what "sign out everywhere" is for.
 *
 * ADMIN_MFA_REQUIRED: an admin may take the last factor of another superuser (that is the lost-phone case); that
 * superuser then stands as any superuser without the factor does, grace period included. Acting on one's own
 * account through these routes is the user's own removal, so the last factor that counts is refused (409) as on
 * the user's routes.
 */
@Injectable()
export class AdminSecondFactorsService {
  constructor(
    private readonly users: UsersRepository,
    private readonly mfa: MfaRepository,
    private readonly passkeys: PasskeysRepository,
    private readonly policy: AdminFactorPolicy,
    private readonly auditTrail: AuditTrail,
  ) {}

  /** The user's passkeys, oldest first; 404 for an unknown user. */
  async listPasskeys(targetId: string): Promise<PasskeySummary[]> {
    const target = await this.requireUser(targetId);
    return this.passkeys.listOfUser(target.id);
  }

  /** Removes TOTP (enabled or pending), the recovery codes and every passkey; 204 also when there was none. */
  async removeAll(actor: User, targetId: string, ip: string): Promise<void> {
    const target = await this.requireUser(targetId);
    await this.auditTrail.run(async (tx, record, recordAll) => {
      await this.policy.lockFactorsOf(target.id, tx);
      const totpWasEnabled = await this.mfa.removeSecondFactor(target.id, tx);
      const passkeys = await this.passkeys.deleteAllOfUser(target.id, tx);
      if (passkeys.length > 0 || totpWasEnabled) {
        await this.refuseOwnLastFactor(actor, target, passkeys.length > 0 ? 'passkey' : 'totp', tx);
      }
      await record('admin_action', {
        ip,
        action: 'remove_mfa',
        actor_id: actor.id,
        target_id: target.id,
        target_email: target.email,
        mfa_was_enabled: totpWasEnabled,
        passkeys_removed: passkeys.length,
      });
      if (totpWasEnabled) {
        await record('mfa_disabled', { ip, email: target.email, user_id: target.id, actor_id: actor.id });
      }
      if (passkeys.length > 0) {
        await recordAll(
          'passkey_removed',
          passkeys.map((passkey) => ({
            ip,
            email: target.email,
            user_id: target.id,
            passkey_id: passkey.id,
            name: passkey.name,
            actor_id: actor.id,
          })),
        );
      }
    });
  }

  /** Removes one of the user's passkeys; 404 for an unknown user, or an unknown or another user's passkey. */
  async removePasskey(actor: User, targetId: string, passkeyId: string, ip: string): Promise<void> {
    const target = await this.requireUser(targetId);
    await this.auditTrail.run(async (tx, record) => {
      await this.policy.lockFactorsOf(target.id, tx);
      const name = await this.passkeys.deleteOwn(passkeyId, target.id, tx);
      if (name === undefined) throw new NotFoundException(PASSKEY_NOT_FOUND);
      await this.refuseOwnLastFactor(actor, target, 'passkey', tx);
      await record('admin_action', {
        ip,
        action: 'remove_passkey',
        actor_id: actor.id,
        target_id: target.id,
        target_email: target.email,
        passkey_id: passkeyId,
        name,
      });
      await record('passkey_removed', {
        ip,
        email: target.email,
        user_id: target.id,
        passkey_id: passkeyId,
        name,
        actor_id: actor.id,
      });
    });
  }

  /** 409 (rolling the removal back) when an admin took their own last factor that ADMIN_MFA_REQUIRED counts. */
  private async refuseOwnLastFactor(
    actor: User,
    target: User,
    removed: RemovedFactor,
    tx: EntityManager,
  ): Promise<void> {
    if (actor.id === target.id) await this.policy.refuseLeavingUnprotected(target.id, removed, tx);
  }

  private async requireUser(id: string): Promise<User> {
    const user = await this.users.loadById(id);
    if (!user) throw new NotFoundException('User not found');
    return user;
  }
}
