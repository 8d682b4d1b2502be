import { Module } from '@nestjs/common';
import { AccountCoreModule } from '../account/account-core.module';
import { AuthModule } from '../auth/auth.module';
import { SipSecurityModule } from '../sip-security/sip-security.module';
import { AccountAlertResponseService } from './account-alert-response.service';
import { AccountAlertsController } from './account-alerts.controller';
import { AccountAlertsRepository } from './account-alerts.repository';
import { AccountAlertsService } from './account-alerts.service';
import { AccountBlocksController } from './account-blocks.controller';
import { AccountBlocksRepository } from './account-blocks.repository';
import { AccountBlocksService } from './account-blocks.service';
import { AccountWatchService } from './account-watch.service';
import { CountryLookupService } from './country-lookup.service';
import { RegistrationIngestService } from './registration-ingest.service';
import { RegistrationSuccessesRepository } from './registration-successes.repository';
import { RegistrationsController } from './registrations.controller';
import { SourceAccountFactsService } from './source-account-facts.service';
import { TrustedSourcesRepository } from './trusted-sources.repository';
import { TrustedSourcesService } from './trusted-sources.service';

/**
 * The account behind the SIP door: successful registrations, the rules that read them (credential
 * compromise, new network or country), the alerts they raise, the account blocks the proxy enforces, and
 * the trust that spares an office's NAT the ban a scanner gets.
 */
@Module({
  imports: [AuthModule, AccountCoreModule, SipSecurityModule],
  controllers: [RegistrationsController, AccountAlertsController, AccountBlocksController],
  providers: [
    RegistrationSuccessesRepository,
    AccountAlertsRepository,
    AccountBlocksRepository,
    RegistrationIngestService,
    AccountAlertsService,
    AccountBlocksService,
    AccountAlertResponseService,
    AccountWatchService,
    CountryLookupService,
    TrustedSourcesRepository,
    TrustedSourcesService,
    SourceAccountFactsService,
  ],
})
export class SipAccountsModule {}
