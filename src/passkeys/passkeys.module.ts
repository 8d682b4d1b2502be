import { Module } from '@nestjs/common';
import { AccountCoreModule } from '../account/account-core.module';
import { AuthModule } from '../auth/auth.module';
import { DevicesModule } from '../devices/devices.module';
import { PasskeyRegistrationService } from './passkey-registration.service';
import { PasskeySignInController } from './passkey-sign-in.controller';
import { PasskeySignInService } from './passkey-sign-in.service';
import { PasskeysCoreModule } from './passkeys-core.module';
import { PasskeysController } from './passkeys.controller';
import { PasskeysService } from './passkeys.service';
import { WebauthnChallengesRepository } from './webauthn-challenges.repository';
import { WebauthnChallenges } from './webauthn-challenges.service';

/** Passkeys (WebAuthn): a user adds, names, lists and removes them, and signs in with one. */
@Module({
  imports: [AuthModule, AccountCoreModule, DevicesModule, PasskeysCoreModule],
  controllers: [PasskeysController, PasskeySignInController],
  providers: [
    WebauthnChallengesRepository,
    WebauthnChallenges,
    PasskeyRegistrationService,
    PasskeysService,
    PasskeySignInService,
  ],
})
export class PasskeysModule {}
