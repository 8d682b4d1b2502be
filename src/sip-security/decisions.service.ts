import { Injectable } from '@nestjs/common';
import { BouncersRepository } from './bouncers.repository';
import { CrowdsecDecision, toCrowdsecDecision } from './crowdsec-decision';
import { toIpsetRestore, toNftablesScript } from './firewall-export';

export type FirewallFormat = 'nftables' | 'ipset';

export interface DecisionStream {
  new: CrowdsecDecision[];
  deleted: CrowdsecDecision[];
}

/**
 * A ban is committed after its created_at (and a lift after its lifted_at): a pull's window reaches this far
 * back, so a change committed while the previous pull was being answered is not missed. Adding or deleting
 * a value twice is harmless to a firewall set.
 */
const COMMIT_SLACK_MS = 2000;

/**
 * Our bans as firewalls take them: CrowdSec's bouncer API (the decision stream per bouncer, the decisions
 * for one address) and scripts for nftables and ipset.
 */
@Injectable()
export class DecisionsService {
  constructor(private readonly repository: BouncersRepository) {}

  /** startup (or a bouncer's first pull): every active ban is new. Later pulls: the changes since the previous one. */
  async stream(bouncerId: string, startup: boolean): Promise<DecisionStream> {
    const { previousPull, now } = await this.repository.recordPull(bouncerId);
    if (startup || previousPull === null) {
      return { new: (await this.repository.findActiveDecisions()).map(toCrowdsecDecision), deleted: [] };
    }
    const after = new Date(previousPull.getTime() - COMMIT_SLACK_MS);
    const [created, ended] = await Promise.all([
      this.repository.findActiveDecisionsCreatedAfter(after),
      this.repository.findDecisionsEndedBetween(after, now),
    ]);
    return { new: created.map(toCrowdsecDecision), deleted: ended.map(toCrowdsecDecision) };
  }

  /** The bans covering the address, or every active ban without one. */
  async covering(ip: string | undefined): Promise<CrowdsecDecision[]> {
    const bans =
      ip === undefined
        ? await this.repository.findActiveDecisions()
        : await this.repository.findActiveDecisionsCovering(ip);
    return bans.map(toCrowdsecDecision);
  }

  async firewallScript(format: FirewallFormat): Promise<string> {
    const bans = await this.repository.findActiveDecisions();
    return format === 'nftables' ? toNftablesScript(bans) : toIpsetRestore(bans);
  }
}
