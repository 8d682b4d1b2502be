import { Injectable, NotFoundException } from '@nestjs/common';
import { SipBan } from '../database/entities/sip-ban.entity';
import { BanCheck, BanIndexService } from './ban-index.service';
import { FAILED_REGISTRATION_KIND } from './ban-reason';
import { SipBansRepository } from './sip-bans.repository';
import { SipEventsRepository } from './sip-events.repository';

/** A source's events, by kind as a ban's evidence counts them. */
export interface SourceActivitySummary {
  failedRegistrations: number;
  doorKnocks: number;
  counts: Record<string, number>;
  doorKnockReasons: string[];
  firstSeenAt: Date | null;
  lastSeenAt: Date | null;
  distinctUsernames: number;
  usernames: string[];
  userAgents: string[];
}

/** An account that registered successfully from the source. */
export interface SourceRegistration {
  username: string;
  domain: string;
  registrations: number;
  lastRegisteredAt: Date;
}

/** What the SIP accounts side knows of a source (CONTRACT Part 3): its trust, its country, its accounts. */
export interface SourceAccountFacts {
  trusted: boolean;
  country: string | null;
  registrations: SourceRegistration[];
}

/** Supplies a source's account facts; src/sip-accounts registers one (it builds on this module, not the reverse). */
export interface SourceAccountFactsProvider {
  factsAbout(ip: string): Promise<SourceAccountFacts>;
}

const NO_ACCOUNT_FACTS: SourceAccountFacts = { trusted: false, country: null, registrations: [] };

export interface SourceReport {
  ip: string;
  activity: SourceActivitySummary;
  state: BanCheck;
  bans: SipBan[];
  accounts: SourceAccountFacts;
}

/** One source address as an admin investigating it needs it: what it did, and what was done about it. */
@Injectable()
export class SipSourcesService {
  private accountFacts?: SourceAccountFactsProvider;

  constructor(
    private readonly events: SipEventsRepository,
    private readonly bans: SipBansRepository,
    private readonly index: BanIndexService,
  ) {}

  setAccountFacts(provider: SourceAccountFactsProvider): void {
    this.accountFacts = provider;
  }

  /**
   * `ip` in canonical form. A source with no stored event, no successful registration and no ban is unknown:
   * 404 (one that only registered is known: a new-network alert links to it).
   */
  async report(ip: string): Promise<SourceReport> {
    const [history, bans, accounts] = await Promise.all([
      this.events.summarizeSource(ip),
      this.bans.findBansCovering(ip),
      this.accountFacts?.factsAbout(ip) ?? NO_ACCOUNT_FACTS,
    ]);
    const doorKnocks = history.knocksByReason.reduce((total, { count }) => total + count, 0);
    if (
      history.failedRegistrations === 0 &&
      doorKnocks === 0 &&
      bans.length === 0 &&
      accounts.registrations.length === 0
    ) {
      throw new NotFoundException('Source not found');
    }
    const counts: Record<string, number> = {};
    if (history.failedRegistrations > 0) counts[FAILED_REGISTRATION_KIND] = history.failedRegistrations;
    for (const { reason, count } of history.knocksByReason) counts[reason ?? 'door_knock'] = count;
    return {
      ip,
      activity: {
        failedRegistrations: history.failedRegistrations,
        doorKnocks,
        counts,
        doorKnockReasons: history.knocksByReason.map(({ reason }) => reason ?? 'door_knock'),
        firstSeenAt: history.firstSeenAt,
        lastSeenAt: history.lastSeenAt,
        distinctUsernames: history.distinctUsernames,
        usernames: history.usernames,
        userAgents: history.userAgents,
      },
      state: this.index.check(ip),
      bans,
      accounts,
    };
  }
}
