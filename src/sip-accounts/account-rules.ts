import { RegistrationFacts } from './registration-successes.repository';

/** Which part of the compromise rule fired (stored in the alert's evidence, named in the ban's reason). */
export type CompromiseRule = 'failed_then_succeeded' | 'banned_source' | 'username_sweep';

export type CompromiseFacts = Pick<RegistrationFacts, 'failedForAccount' | 'usernamesTried' | 'banId' | 'trusted'>;

/**
 * A successful registration is a credential compromise when its source, within SIP_BAN_FIND_TIME before it,
 * failed to register the same account, or was banned (by the engine, an admin or a feed), or tried more than
 * SIP_BAN_MAX_RETRY distinct usernames. A source the account already trusted (it registered the account
 * within SIP_TRUST_TTL and never drew a compromise alert) is a phone whose password was mistyped or stale
 * for a while: its own failures do not make its success a compromise.
 */
export function compromiseRule(facts: CompromiseFacts, maxRetry: number): CompromiseRule | undefined {
  if (facts.failedForAccount > 0 && !facts.trusted) return 'failed_then_succeeded';
  if (facts.banId !== null) return 'banned_source';
  if (facts.usernamesTried > maxRetry) return 'username_sweep';
  return undefined;
}

export type NetworkFacts = Pick<RegistrationFacts, 'historyCount' | 'networkKnown'>;

/**
 * A registration from a network (/24, /48) or a country the account has not registered from within
 * SIP_ACCOUNT_HISTORY_DAYS, while it has registered in that time: `new_country` when the country is known
 * and new, else `new_network` when the network is new. An account's first registration sets no alert.
 * `country` / `knownCountries` are undefined without GEOIP_DB; an address the database does not place is
 * left out of the country rule.
 */
export function newNetworkKind(
  facts: NetworkFacts,
  country: string | undefined,
  knownCountries: ReadonlySet<string> | undefined,
): 'new_country' | 'new_network' | undefined {
  if (facts.historyCount === 0) return undefined;
  if (
    country !== undefined &&
    knownCountries !== undefined &&
    knownCountries.size > 0 &&
    !knownCountries.has(country)
  ) {
    return 'new_country';
  }
  return facts.networkKnown ? undefined : 'new_network';
}

/** The ban reason and alert summary: they name the account, so an admin sees what the source was after. */
export function compromiseReason(rule: CompromiseRule, username: string, domain: string): string {
  const what: Record<CompromiseRule, string> = {
    failed_then_succeeded: 'registered after failing to',
    banned_source: 'registered while banned or shortly after',
    username_sweep: 'registered after trying many usernames',
  };
  return `credential compromise: ${what[rule]} (account ${username}@${domain})`;
}
