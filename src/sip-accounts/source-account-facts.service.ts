import { Injectable, OnModuleInit } from '@nestjs/common';
import { SipSourcesService, SourceAccountFacts, SourceAccountFactsProvider } from '../sip-security/sip-sources.service';
import { CountryLookupService } from './country-lookup.service';
import { RegistrationSuccessesRepository } from './registration-successes.repository';
import { TrustedSourcesService } from './trusted-sources.service';

/** As many accounts as a page shows; a source registering more is a PBX or a trunk, and the count says so. */
const ACCOUNTS_SHOWN = 50;

/**
 * Tells the source page (src/sip-security) what this module knows of a source: trusted or not, its country,
 * the accounts it registered. Registered on start, as the trust rule registers with the ban engine.
 */
@Injectable()
export class SourceAccountFactsService implements OnModuleInit, SourceAccountFactsProvider {
  constructor(
    private readonly sources: SipSourcesService,
    private readonly trust: TrustedSourcesService,
    private readonly countries: CountryLookupService,
    private readonly registrations: RegistrationSuccessesRepository,
  ) {}

  onModuleInit(): void {
    this.sources.setAccountFacts(this);
  }

  async factsAbout(ip: string): Promise<SourceAccountFacts> {
    const [trusted, registrations] = await Promise.all([
      this.trust.isTrusted(ip),
      this.registrations.findAccountsRegisteredFrom(ip, ACCOUNTS_SHOWN),
    ]);
    return { trusted, country: this.countries.countryOf(ip) ?? null, registrations };
  }
}
