import { EntityManager } from 'typeorm';
import { SecurityLogService } from '../common/security-log.service';
import { AppConfig } from '../config/app-config';
import { BanEngineService } from '../sip-security/ban-engine.service';
import { AccountBlock, NewAccountBlock } from './account-blocks.repository';
import { AccountBlocksService } from './account-blocks.service';
import { FailingUsername, TrustedOffender, TrustedSourcesRepository } from './trusted-sources.repository';
import { TrustedSourcesService } from './trusted-sources.service';

const config = {
  sipBan: {
    ipv6Prefix: 64,
    maxRetry: 5,
    findTimeSeconds: 600,
    banTimeSeconds: 3600,
    timeFactor: 2,
    maxTimeSeconds: 604800,
  },
  sipAccounts: { trustTtlSeconds: 86400, trustedMaxRetry: 50 },
} as AppConfig;
const manager = {} as EntityManager;

function setUp(trusted: TrustedOffender[], failing: FailingUsername[]) {
  const created: Array<Omit<NewAccountBlock, 'source' | 'createdBy'>> = [];
  const asked: unknown[][] = [];
  const repository = {
    isTrustedUnit: (...args: unknown[]) => {
      asked.push(args);
      return Promise.resolve(true);
    },
    findTrustedOffenders: () => Promise.resolve(trusted),
    findFailingUsernames: (_: EntityManager, units: string[]) =>
      Promise.resolve(failing.filter((row) => units.includes(`${row.sourceIp}/32`))),
  };
  const blocks = {
    createAutomatic: (block: Omit<NewAccountBlock, 'source' | 'createdBy'>) => {
      created.push(block);
      return Promise.resolve({
        ...block,
        id: '1',
        source: 'auto',
        createdAt: new Date(),
        expiresAt: null,
      } as AccountBlock);
    },
  };
  const service = new TrustedSourcesService(
    repository as unknown as TrustedSourcesRepository,
    { addExemptions: () => undefined } as unknown as BanEngineService,
    blocks as unknown as AccountBlocksService,
    { log: () => undefined } as unknown as SecurityLogService,
    config,
  );
  return { service, created, asked };
}

const offenders = [
  { unit: '198.51.100.1/32', hits: 5 },
  { unit: '198.51.100.2/32', hits: 5 },
  { unit: '203.0.113.9/32', hits: 5 },
];

describe('TrustedSourcesService', () => {
  it('spares trusted sources below SIP_TRUSTED_MAX_RETRY, never the untrusted or those past it', async () => {
    const { service } = setUp(
      [
        { unit: '198.51.100.1/32', hits: 12 },
        { unit: '198.51.100.2/32', hits: 50 },
      ],
      [],
    );
    expect([...(await service.exempt(manager, offenders))]).toEqual(['198.51.100.1/32']);
  });

  it('blocks each failing username from its source alone, as long as a ban would last', async () => {
    const { service, created } = setUp(
      [{ unit: '198.51.100.1/32', hits: 8 }],
      [
        { username: '1002', domain: 'sip.example.com', sourceIp: '198.51.100.1', failures: 6, previousBlocks: 0 },
        { username: '1003', domain: 'sip.example.com', sourceIp: '198.51.100.1', failures: 5, previousBlocks: 2 },
      ],
    );
    await service.exempt(manager, offenders);
    expect(created).toEqual([
      expect.objectContaining({ username: '1002', sourceIp: '198.51.100.1', durationSeconds: 3600, alertId: null }),
      expect.objectContaining({ username: '1003', sourceIp: '198.51.100.1', durationSeconds: 14400 }),
    ]);
  });

  it('blocks nothing for a source it does not spare', async () => {
    const { service, created } = setUp(
      [{ unit: '198.51.100.1/32', hits: 60 }],
      [{ username: '1002', domain: 'sip.example.com', sourceIp: '198.51.100.1', failures: 60, previousBlocks: 0 }],
    );
    expect((await service.exempt(manager, offenders)).size).toBe(0);
    expect(created).toEqual([]);
  });

  it('tells the source page by the same rule, on the SIP_BAN_IPV6_PREFIX unit and SIP_TRUST_TTL', async () => {
    const { service, asked } = setUp([], []);
    expect(await service.isTrusted('2001:db8::1')).toBe(true);
    expect(asked).toEqual([['2001:db8::1', 64, 86400]]);
  });
});
