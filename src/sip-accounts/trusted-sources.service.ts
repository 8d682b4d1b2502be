import { Injectable, OnModuleInit } from '@nestjs/common';
import { EntityManager } from 'typeorm';
import { SecurityLogService } from '../common/security-log.service';
import { AppConfig } from '../config/app-config';
import { InjectConfig } from '../config/config.module';
import { BanEngineExemptions, BanEngineService, banDurationSeconds } from '../sip-security/ban-engine.service';
import { Offender } from '../sip-security/sip-bans.repository';
import { AccountBlocksService, blockFields } from './account-blocks.service';
import { TrustedSourcesRepository, TrustSettings } from './trusted-sources.repository';

/**
 * Trusted sources: a source that registered an account within SIP_TRUST_TTL and never drew a compromise alert
 * (an office's NAT, a PBX) is not banned at SIP_BAN_MAX_RETRY like a scanner. Its failures for one username
 * block that username from that address only (a `user_source` block, lasting as a ban would, growing for a
 * repeat), and the whole source is banned only past SIP_TRUSTED_MAX_RETRY counted events. One misconfigured
 * phone no longer cuts the whole office off. Runs inside the ban engine's look (BanEngineExemptions).
 */
@Injectable()
export class TrustedSourcesService implements OnModuleInit, BanEngineExemptions {
  constructor(
    private readonly repository: TrustedSourcesRepository,
    private readonly engine: BanEngineService,
    private readonly blocks: AccountBlocksService,
    private readonly securityLog: SecurityLogService,
    @InjectConfig() private readonly config: AppConfig,
  ) {}

  onModuleInit(): void {
    this.engine.addExemptions(this);
  }

  /** Whether the address (its SIP_BAN_IPV6_PREFIX for IPv6) is trusted now, by the rule the ban engine applies. */
  isTrusted(ip: string): Promise<boolean> {
    return this.repository.isTrustedUnit(ip, this.config.sipBan.ipv6Prefix, this.config.sipAccounts.trustTtlSeconds);
  }

  async exempt(manager: EntityManager, offenders: Offender[]): Promise<ReadonlySet<string>> {
    const settings: TrustSettings = {
      findTimeSeconds: this.config.sipBan.findTimeSeconds,
      trustTtlSeconds: this.config.sipAccounts.trustTtlSeconds,
      maxRetry: this.config.sipBan.maxRetry,
      trustedMaxRetry: this.config.sipAccounts.trustedMaxRetry,
    };
    const trusted = await this.repository.findTrustedOffenders(
      manager,
      offenders.map(({ unit }) => unit),
      settings,
    );
    const spared = trusted.filter(({ hits }) => hits < settings.trustedMaxRetry).map(({ unit }) => unit);
    if (spared.length === 0) return new Set();
    for (const failing of await this.repository.findFailingUsernames(manager, spared, settings)) {
      const block = await this.blocks.createAutomatic(
        {
          username: failing.username,
          domain: failing.domain,
          sourceIp: failing.sourceIp,
          reason:
            `at least ${settings.maxRetry} failed registrations within ${settings.findTimeSeconds} s ` +
            'from a trusted source (it registered an account): this username from this source only',
          alertId: null,
          durationSeconds: banDurationSeconds(this.config.sipBan, failing.previousBlocks),
        },
        manager,
      );
      this.securityLog.log('sip_account_blocked', {
        ip: failing.sourceIp,
        failures: failing.failures,
        ...blockFields(block),
      });
    }
    return new Set(spared);
  }
}
