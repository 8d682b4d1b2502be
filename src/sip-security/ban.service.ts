import { Injectable, NotFoundException, UnprocessableEntityException } from '@nestjs/common';
import { formatCidr, parseCidr } from '../common/cidr';
import { SecurityLogService } from '../common/security-log.service';
import { AppConfig } from '../config/app-config';
import { InjectConfig } from '../config/config.module';
import { SipBan } from '../database/entities/sip-ban.entity';
import { AdminActor } from './admin-actor';
import { BanIndexService } from './ban-index.service';
import { prefixTooWide } from './prefix-width';
import { SipAllowlistRepository } from './sip-allowlist.repository';
import { SipBansRepository } from './sip-bans.repository';

export interface ManualBanRequest {
  cidr: string;
  reason: string;
  /** null: until lifted. */
  durationSeconds: number | null;
  /** Takes a CIDR wider than the configured minimum prefix. */
  force: boolean;
}

/** Bans by hand, lifting, the list of active bans, and the security log of every ban. */
@Injectable()
export class BanService {
  constructor(
    private readonly banRepository: SipBansRepository,
    private readonly allowlistRepository: SipAllowlistRepository,
    private readonly index: BanIndexService,
    private readonly securityLog: SecurityLogService,
    @InjectConfig() private readonly config: AppConfig,
  ) {}

  listActive(): Promise<SipBan[]> {
    return this.banRepository.findActiveBans();
  }

  async createManual(request: ManualBanRequest, actor: AdminActor): Promise<SipBan> {
    const parsed = parseCidr(request.cidr);
    const cidr = formatCidr(parsed);
    const tooWide = prefixTooWide(parsed, this.config.sipMinPrefix);
    if (tooWide !== undefined && !request.force) {
      throw new UnprocessableEntityException([tooWide]);
    }
    const allowlisted = await this.allowlistRepository.findOverlapping(cidr);
    if (allowlisted !== undefined) {
      throw new UnprocessableEntityException([`cidr ${cidr} overlaps the allowlisted ${allowlisted}`]);
    }
    const ban = await this.banRepository.insertManualBan({
      cidr,
      reason: request.reason,
      durationSeconds: request.durationSeconds,
      createdBy: actor.id,
    });
    this.securityLog.log('sip_ban_created', {
      ip: actor.ip,
      actor_id: actor.id,
      ban_id: ban.id,
      cidr,
      source: 'manual',
      reason: ban.reason,
      expires_at: ban.expiresAt?.toISOString() ?? null,
      ...(tooWide !== undefined && { forced: true }),
    });
    await this.index.reload();
    return ban;
  }

  async lift(id: string, actor: AdminActor): Promise<void> {
    const cidr = await this.banRepository.liftActiveBan(id, actor.id);
    if (cidr === undefined) {
      throw new NotFoundException('Ban not found');
    }
    this.securityLog.log('sip_ban_lifted', { ip: actor.ip, actor_id: actor.id, ban_id: id, cidr });
    await this.index.reload();
  }

  /** Logs the automatic bans the engine stored (the engine reloads the index once afterwards). */
  recordAutomaticBans(created: Array<{ ban: SipBan; hits: number }>): void {
    for (const { ban, hits } of created) {
      this.securityLog.log('sip_ban_created', {
        ip: ban.cidr.replace(/\/(32|128)$/, ''),
        ban_id: ban.id,
        cidr: ban.cidr,
        source: 'auto',
        reason: ban.reason,
        hits,
        expires_at: ban.expiresAt?.toISOString() ?? null,
      });
    }
  }
}
