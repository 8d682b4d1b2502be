import { Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { User } from '../database/entities/user.entity';
import { DevicesModule } from '../devices/devices.module';
import { AccountMailer } from './account-mailer.service';
import { AccountRetentionService } from './account-retention.service';
import { AccountUsersRepository } from './account-users.repository';
import { EmailTokensRepository } from './email-tokens.repository';
import { LockoutRepository } from './lockout.repository';
import { LockoutService } from './lockout.service';
import { SignupDigestWorker } from './signup-digest.worker';
import { SignupNoticesRepository } from './signup-notices.repository';
import { SignupNoticesService } from './signup-notices.service';

/**
 * What sign-up and login (AuthModule) need from the account flows: the lockout and the sign-up e-mails
 * (and the workers behind them: the digest, the pruning of spent tokens).
 * Kept apart from AccountModule, whose routes need AuthModule's guards, so that neither imports the other.
 */
@Module({
  imports: [TypeOrmModule.forFeature([User]), DevicesModule],
  providers: [
    AccountUsersRepository,
    EmailTokensRepository,
    LockoutRepository,
    SignupNoticesRepository,
    AccountMailer,
    LockoutService,
    SignupNoticesService,
    SignupDigestWorker,
    AccountRetentionService,
  ],
  exports: [AccountUsersRepository, EmailTokensRepository, AccountMailer, LockoutService, SignupNoticesService],
})
export class AccountCoreModule {}
