import { UnprocessableEntityException } from '@nestjs/common';
import { AuditTrail, RecordAuditEvent } from '../audit/audit-trail.service';
import { SecurityLogService } from '../common/security-log.service';
import { AppConfig } from '../config/app-config';
import { SipBan } from '../database/entities/sip-ban.entity';
import { BanIndexService } from './ban-index.service';
import { BanService, ManualBanRequest } from './ban.service';
import { SipAllowlistRepository } from './sip-allowlist.repository';
import { NewManualBan, SipBansRepository } from './sip-bans.repository';

const actor = { id: 'a0000000-0000-4000-8000-000000000001', ip: '192.0.2.200' };

function serviceWith(allowlisted?: string) {
  const inserted: NewManualBan[] = [];
  const logged: Array<Record<string, unknown>> = [];
  const banRepository = {
    insertManualBan: (ban: NewManualBan) => {
      inserted.push(ban);
      return Promise.resolve(
        Object.assign(new SipBan(), {
          id: '1',
          cidr: ban.cidr,
          reason: ban.reason,
          source: 'manual',
          createdAt: new Date(),
          expiresAt: null,
        }),
      );
    },
  } as unknown as SipBansRepository;
  const allowlistRepository = {
    findOverlapping: () => Promise.resolve(allowlisted),
  } as unknown as SipAllowlistRepository;
  const index = { reload: () => Promise.resolve() } as unknown as BanIndexService;
  const securityLog = {
    log: (event: string, fields: Record<string, unknown>) => logged.push({ event, ...fields }),
  } as unknown as SecurityLogService;
  const auditTrail = {
    run: (work: (tx: unknown, record: RecordAuditEvent) => Promise<unknown>) =>
      work({}, (event, fields) => Promise.resolve(void logged.push({ event, ...fields }))),
  } as unknown as AuditTrail;
  const config = { sipMinPrefix: { ipv4: 8, ipv6: 32 } } as AppConfig;
  return {
    service: new BanService(banRepository, allowlistRepository, index, securityLog, auditTrail, config),
    inserted,
    logged,
  };
}

const request = (overrides: Partial<ManualBanRequest>): ManualBanRequest => ({
  cidr: '203.0.113.0/24',
  reason: 'scan',
  durationSeconds: null,
  force: false,
  ...overrides,
});

describe('BanService.createManual', () => {
  it('stores the CIDR in canonical form; no duration means until lifted (never an expiry in the past)', async () => {
    const { service, inserted } = serviceWith();
    await service.createManual(request({ cidr: '::ffff:203.0.113.77/120' }), actor);
    expect(inserted).toEqual([{ cidr: '203.0.113.0/24', reason: 'scan', durationSeconds: null, createdBy: actor.id }]);
  });

  it('refuses a CIDR wider than the minimum prefix, naming it, and stores nothing', async () => {
    const { service, inserted } = serviceWith();
    const refusal = service.createManual(request({ cidr: '128.0.0.0/1' }), actor);
    await expect(refusal).rejects.toThrow(UnprocessableEntityException);
    await expect(refusal).rejects.toHaveProperty('response.message', [
      expect.stringContaining('minimum prefix /8 (SIP_MIN_PREFIX_IPV4)'),
    ]);
    expect(inserted).toEqual([]);
  });

  it('takes it with force, and logs the ban as forced', async () => {
    const { service, inserted, logged } = serviceWith();
    await service.createManual(request({ cidr: '128.0.0.0/1', force: true }), actor);
    expect(inserted.map((ban) => ban.cidr)).toEqual(['128.0.0.0/1']);
    expect(logged).toEqual([
      expect.objectContaining({ event: 'sip_ban_created', cidr: '128.0.0.0/1', forced: true, actor_id: actor.id }),
    ]);
  });

  it('does not mark an ordinary ban as forced', async () => {
    const { service, logged } = serviceWith();
    await service.createManual(request({ force: true }), actor);
    expect(logged[0]).not.toHaveProperty('forced');
  });

  it('refuses a ban overlapping the allowlist, forced or not', async () => {
    const { service, inserted } = serviceWith('203.0.113.7/32');
    await expect(service.createManual(request({ force: true }), actor)).rejects.toHaveProperty('response.message', [
      'cidr 203.0.113.0/24 overlaps the allowlisted 203.0.113.7/32',
    ]);
    expect(inserted).toEqual([]);
  });
});
