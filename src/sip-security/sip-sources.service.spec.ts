import { NotFoundException } from '@nestjs/common';
import { SipBan } from '../database/entities/sip-ban.entity';
import { BanIndexService } from './ban-index.service';
import { SipBansRepository } from './sip-bans.repository';
import { SipEventsRepository, SourceHistory } from './sip-events.repository';
import { SipSourcesService } from './sip-sources.service';

const NO_HISTORY: SourceHistory = {
  failedRegistrations: 0,
  knocksByReason: [],
  firstSeenAt: null,
  lastSeenAt: null,
  distinctUsernames: 0,
  usernames: [],
  userAgents: [],
};

function serviceWith(history: Partial<SourceHistory>, bans: SipBan[] = []) {
  const events = {
    summarizeSource: () => Promise.resolve({ ...NO_HISTORY, ...history }),
  } as unknown as SipEventsRepository;
  const banRepository = { findBansCovering: () => Promise.resolve(bans) } as unknown as SipBansRepository;
  const index = {
    check: (ip: string) => ({ ip, banned: bans.length > 0, allowlisted: false, expiresAt: null, reason: null }),
  } as unknown as BanIndexService;
  return new SipSourcesService(events, banRepository, index);
}

describe('SipSourcesService.report', () => {
  it('counts events by kind as a ban’s evidence does: failed_registration, or the knock’s reason', async () => {
    const report = await serviceWith({
      failedRegistrations: 3,
      knocksByReason: [
        { reason: 'flood', count: 4 },
        { reason: null, count: 1 },
      ],
    }).report('203.0.113.7');
    expect(report.activity).toMatchObject({
      failedRegistrations: 3,
      doorKnocks: 5,
      counts: { failed_registration: 3, flood: 4, door_knock: 1 },
      doorKnockReasons: ['flood', 'door_knock'],
    });
  });

  it('knows a source with bans but no events left (retention deleted them)', async () => {
    const ban = Object.assign(new SipBan(), { id: '1', cidr: '203.0.113.7/32' });
    const report = await serviceWith({}, [ban]).report('203.0.113.7');
    expect(report.bans).toEqual([ban]);
    expect(report.state.banned).toBe(true);
  });

  it('answers 404 for an address with no event and no ban', async () => {
    await expect(serviceWith({}).report('192.0.2.1')).rejects.toBeInstanceOf(NotFoundException);
  });

  it('says untrusted, no country and no account until the accounts side tells it more', async () => {
    const report = await serviceWith({ failedRegistrations: 1 }).report('203.0.113.7');
    expect(report.accounts).toEqual({ trusted: false, country: null, registrations: [] });
  });

  it('passes on the accounts side’s facts, and knows an address that only registered an account', async () => {
    const service = serviceWith({});
    const facts = {
      trusted: true,
      country: 'FR',
      registrations: [{ username: '1000', domain: 'sip.example.com', registrations: 2, lastRegisteredAt: new Date() }],
    };
    const asked: string[] = [];
    service.setAccountFacts({
      factsAbout: (ip) => {
        asked.push(ip);
        return Promise.resolve(facts);
      },
    });
    const report = await service.report('198.51.100.7');
    expect(report.accounts).toEqual(facts);
    expect(asked).toEqual(['198.51.100.7']);
  });
});
