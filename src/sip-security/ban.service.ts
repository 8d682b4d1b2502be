import { Injectable, NotFoundException, UnprocessableEntityException } from '@nestjs/common';
import { AuditTrail } from '../audit/audit-trail.service';
import { formatCidr, parseCidr } from '../common/cidr';
import { SecurityLogService } from '../common/security-log.service';
import { Page } from '../common/total-count';
import { AppConfig } from '../config/app-config';
import { InjectConfig } from '../config/config.module';
import { SipBan } from '../database/entities/sip-ban.entity';
import { AdminActor } from './admin-actor';
import { BanIndexService } from './ban-index.service';
import { prefixTooWide } from './prefix-width';
import { SipAllowlistRepository } from './sip-allowlist.repository';
import { BanListingState, SipBansRepository } from './sip-bans.repository';

/** A page of ban history when the caller names no limit; the active list comes whole (firewalls need all of it). */
const DEFAULT_HISTORY_PAGE = 100;

export interface ManualBanRequest {
  cidr: string;
  reason: string;
  /** null: until lifted. */
  durationSeconds: number | null;
  /** Takes a CIDR wider than the configured minimum prefix. */
  force: boolean;
}

/**
 * Bans by hand, lifting, the list of active bans, and the security log of every ban (an admin's ban or lift
 * audited in the transaction that stores it, the engine's through the batched log).
 */
@Injectable()
export class BanService {
  constructor(
    private readonly banRepository: SipBansRepository,
    private readonly allowlistRepository: SipAllowlistRepository,
    private readonly index: BanIndexService,
    private readonly securityLog: SecurityLogService,
    private readonly auditTrail: AuditTrail,
    @InjectConfig() private readonly config: AppConfig,
  ) {}

  listActive(): Promise<SipBan[]> {
    return this.banRepository.findActiveBans();
  }

  /** Bans of a state, newest first: every active ban unless a limit is given, a page of the others. */
  list(state: BanListingState, skip: number, limit?: number): Promise<Page<SipBan>> {
    return this.banRepository.findBans({
      state,
      skip,
      limit: limit ?? (state === 'active' ? undefined : DEFAULT_HISTORY_PAGE),
    });
  }

  /** One ban, whatever its state, with the evidence of an automatic one. */
  async find(id: string): Promise<SipBan> {
    const ban = await this.banRepository.findBanById(id);
    if (ban === undefined) throw new NotFoundException('Ban not found');
    return ban;
  }

  async createManual(request: ManualBanRequest, actor: AdminActor): Promise<SipBan> {
    const parsed = parseCidr(request.cidr);
    const cidr = formatCidr(parsed);
    const tooWide = prefixTooWide(parsed, this.config.sipMinPrefix, request.cidr);
    if (tooWide !== undefined && !request.force) {
      throw new UnprocessableEntityException([tooWide]);
    }
    const allowlisted = await this.allowlistRepository.findOverlapping(cidr);
    if (allowlisted !== undefined) {
      throw new UnprocessableEntityException([`cidr ${cidr} overlaps the allowlisted ${allowlisted}`]);
    }
    const ban = await this.auditTrail.run(async (tx, record) => {
      const created = await this.banRepository.insertManualBan(
        { cidr, reason: request.reason, durationSeconds: request.durationSeconds, createdBy: actor.id },
        tx,
      );
      await record('sip_ban_created', {
        ip: actor.ip,
        actor_id: actor.id,
        ban_id: created.id,
        cidr,
        source: 'manual',
        reason: created.reason,
        expires_at: created.expiresAt?.toISOString() ?? null,
        ...(tooWide !== undefined && { forced: true }),
      });
      return created;
    });
    await this.index.reload();
    return ban;
  }

  async lift(id: string, actor: AdminActor): Promise<void> {
    await this.auditTrail.run(async (tx, record) => {
      const cidr = await this.banRepository.liftActiveBan(id, actor.id, tx);
      if (cidr === undefined) {
        throw new NotFoundException('Ban not found');
      }
      await record('sip_ban_lifted', { ip: actor.ip, actor_id: actor.id, ban_id: id, cidr });
    });
    await this.index.reload();
  }

  /** Logs the automatic bans the engine stored (the engine adds them to the index itself). */
  recordAutomaticBans(created: Array<{ ban: SipBan; hits: number }>): void {
    for (const { ban, hits } of created) {
      this.securityLog.log('sip_ban_created', {
        ip: ban.cidr.replace(/\/(32|128)$/, ''),
        ban_id: ban.id,
        cidr: ban.cidr,
        source: 'auto',
        reason: ban.reason,
        rule: ban.evidence?.rule,
        hits,
        expires_at: ban.expiresAt?.toISOString() ?? null,
      });
    }
  }
}
