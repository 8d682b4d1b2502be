import { Module } from '@nestjs/common';
import { AccountCoreModule } from '../account/account-core.module';
import { AuthModule } from '../auth/auth.module';
import { AdminMfaController } from './admin-mfa.controller';
import { AdminSecondFactorsService } from './admin-second-factors.service';
import { PasskeysCoreModule } from '../passkeys/passkeys-core.module';
import { MfaCoreModule } from './mfa-core.module';
import { MfaDisableThrottleGuard } from './mfa-disable-throttle.guard';
import { MfaController } from './mfa.controller';
import { MfaService } from './mfa.service';

/**
 * The second-factor routes: the user's TOTP setup, enable and disable, and the admin's removal of a user's
 * factors (TOTP and passkeys).
 */
@Module({
  imports: [AuthModule, AccountCoreModule, MfaCoreModule, PasskeysCoreModule],
  controllers: [MfaController, AdminMfaController],
  providers: [MfaService, AdminSecondFactorsService, MfaDisableThrottleGuard],
})
export class MfaModule {}
