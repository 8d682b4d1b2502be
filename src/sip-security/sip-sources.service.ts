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

export interface SourceReport {
  ip: string;
  activity: SourceActivitySummary;
  state: BanCheck;
  bans: SipBan[];
}

/** One source address as an admin investigating it needs it: what it did, and what was done about it. */
@Injectable()
export class SipSourcesService {
  constructor(
    private readonly events: SipEventsRepository,
    private readonly bans: SipBansRepository,
    private readonly index: BanIndexService,
  ) {}

  /** `ip` in canonical form. A source with no stored event and no ban is unknown: 404. */
  async report(ip: string): Promise<SourceReport> {
    const [history, bans] = await Promise.all([this.events.summarizeSource(ip), this.bans.findBansCovering(ip)]);
    const doorKnocks = history.knocksByReason.reduce((total, { count }) => total + count, 0);
    if (history.failedRegistrations === 0 && doorKnocks === 0 && bans.length === 0) {
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
    };
  }
}
