import { Module } from '@nestjs/common';
import { AdminFactorPolicy } from './admin-factor-policy.service';
import { AdminFactorsRepository } from './admin-factors.repository';
import { PasskeysRepository } from './passkeys.repository';

/**
 * What the admin routes' guard (AuthModule) and the second-factor removals (MfaModule: TOTP, and an admin's
 * removal of a user's passkeys) need of passkeys: the ADMIN_MFA_REQUIRED policy and what it reads, with nothing
 * of auth's. PasskeysModule has the user's routes.
 */
@Module({
  providers: [PasskeysRepository, AdminFactorsRepository, AdminFactorPolicy],
  exports: [PasskeysRepository, AdminFactorPolicy],
})
export class PasskeysCoreModule {}
