import {
  ConflictException,
  Injectable,
  Logger,
  NotFoundException,
  OnModuleInit,
  UnprocessableEntityException,
} from '@nestjs/common';
import { AuditTrail } from '../audit/audit-trail.service';
import { formatCidr, normalizeCidr, parseCidr } from '../common/cidr';
import { AppConfig } from '../config/app-config';
import { InjectConfig } from '../config/config.module';
import { SipAllowlistEntry } from '../database/entities/sip-allowlist-entry.entity';
import { AdminActor } from './admin-actor';
import { BanIndexService } from './ban-index.service';
import { prefixTooWide } from './prefix-width';
import { SipAllowlistRepository } from './sip-allowlist.repository';

export interface AllowlistRequest {
  cidr: string;
  description: string;
  /** Takes a CIDR wider than the configured minimum prefix. */
  force: boolean;
}

/** The description of the entries that come from the variable. */
const CONFIG_ENTRY_DESCRIPTION = 'SIP_ALLOWLIST';

/**
 * The allowlist: entries added and removed through the API, and those that follow SIP_ALLOWLIST. At
 * each start the variable's entries are made to match it (one no longer listed is removed, so an old
 * default does not stay allowlisted forever); entries added through the API are never touched by it.
 */
@Injectable()
export class AllowlistService implements OnModuleInit {
  private readonly logger = new Logger(AllowlistService.name);

  constructor(
    private readonly repository: SipAllowlistRepository,
    private readonly index: BanIndexService,
    private readonly auditTrail: AuditTrail,
    @InjectConfig() private readonly config: AppConfig,
  ) {}

  async onModuleInit(): Promise<void> {
    const cidrs = [...new Set(this.config.sipAllowlist.map(normalizeCidr))];
    const { added, removed } = await this.repository.replaceConfigEntries(cidrs, CONFIG_ENTRY_DESCRIPTION);
    if (added.length > 0) this.logger.log(`SIP_ALLOWLIST added ${added.join(', ')}`);
    if (removed.length > 0) this.logger.log(`no longer in SIP_ALLOWLIST, removed: ${removed.join(', ')}`);
  }

  list(): Promise<SipAllowlistEntry[]> {
    return this.repository.findAll();
  }

  async add(request: AllowlistRequest, actor: AdminActor): Promise<SipAllowlistEntry> {
    const parsed = parseCidr(request.cidr);
    const cidr = formatCidr(parsed);
    const tooWide = prefixTooWide(parsed, this.config.sipMinPrefix, request.cidr);
    if (tooWide !== undefined && !request.force) {
      throw new UnprocessableEntityException([tooWide]);
    }
    const entry = await this.auditTrail.run(async (tx, record) => {
      const inserted = await this.repository.insertEntry({ cidr, description: request.description, origin: 'api' }, tx);
      if (inserted === undefined) {
        throw new ConflictException(`${cidr} is already allowlisted`);
      }
      await record('admin_action', {
        ip: actor.ip,
        action: 'allowlist_add',
        actor_id: actor.id,
        cidr,
        description: request.description,
        ...(tooWide !== undefined && { forced: true }),
      });
      return inserted;
    });
    await this.index.reload();
    return entry;
  }

  async remove(id: string, actor: AdminActor): Promise<void> {
    await this.auditTrail.run(async (tx, record) => {
      const cidr = await this.repository.deleteEntry(id, tx);
      if (cidr === undefined) {
        throw new NotFoundException('Allowlist entry not found');
      }
      await record('admin_action', { ip: actor.ip, action: 'allowlist_remove', actor_id: actor.id, cidr });
    });
    await this.index.reload();
  }
}
