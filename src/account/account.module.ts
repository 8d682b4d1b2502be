import { Module } from '@nestjs/common';
import { AuthModule } from '../auth/auth.module';
import { CaptchaModule } from '../captcha/captcha.module';
import { SessionsModule } from '../sessions/sessions.module';
import { AccountAdminController } from './account-admin.controller';
import { AccountCoreModule } from './account-core.module';
import { AccountEmailRequestsRepository } from './account-email-requests.repository';
import { AccountEmailRequestsService } from './account-email-requests.service';
import { AccountEmailThrottleGuard } from './account-email-throttle.guard';
import { AccountController } from './account.controller';
import { EmailVerificationService } from './email-verification.service';
import { PasswordService } from './password.service';

/** The routes of the e-mail flows (verification, forgotten and changed passwords) and the admin's unlock. */
@Module({
  imports: [AuthModule, AccountCoreModule, SessionsModule, CaptchaModule],
  controllers: [AccountController, AccountAdminController],
  providers: [
    EmailVerificationService,
    PasswordService,
    AccountEmailRequestsService,
    AccountEmailRequestsRepository,
    AccountEmailThrottleGuard,
  ],
})
export class AccountModule {}
