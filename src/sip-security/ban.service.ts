import {
  ConflictException,
  Injectable,
  Logger,
  NotFoundException,
  OnApplicationShutdown,
  OnModuleInit,
  UnprocessableEntityException,
} from '@nestjs/common';
import { InjectDataSource, InjectRepository } from '@nestjs/typeorm';
import { Client } from 'pg';
import { DataSource, Repository } from 'typeorm';
import { isIp, normalizeCidr, parseIp } from '../common/cidr';
import { SecurityLogService } from '../common/security-log.service';
import { AppConfig } from '../config/app-config';
import { InjectConfig } from '../config/config.module';
import { SipAllowlistEntry } from '../database/entities/sip-allowlist-entry.entity';
import { SipBan } from '../database/entities/sip-ban.entity';
import { CidrIndex } from './cidr-index';

/** What check/{ip} needs of an active ban. */
interface ActiveBan {
  reason: string;
  expiresAt: Date | null;
}

export interface CheckResult {
  ip: string;
  banned: boolean;
  allowlisted: boolean;
  expires_at: string | null;
  reason: string | null;
}

/** The SQL condition of an active ban; `regshield_is_banned()` (what the proxy calls) uses the same. */
export const ACTIVE = 'lifted_at IS NULL AND (expires_at IS NULL OR expires_at > now())';
/**
 * Notifications (and a reload after every listener reconnect) keep the indexes current, and expiry is
 * checked at lookup; this rare full reload only drops expired bans from memory.
 */
const RELOAD_INTERVAL_MS = 10 * 60_000;

/**
 * Bans and the allowlist: stored in PostgreSQL (so they survive restarts and the proxy can read them) and
 * mirrored in memory in CIDR indexes, so `check/{ip}` never touches the database. Every instance listens
 * for the `regshield_bans` notification that the tables' triggers send, and reloads.
 */
@Injectable()
export class BanService implements OnModuleInit, OnApplicationShutdown {
  private readonly logger = new Logger(BanService.name);
  private bans = new CidrIndex<ActiveBan>();
  private allowlist = new CidrIndex<true>();
  private listener?: Client;
  private reloadTimer?: NodeJS.Timeout;
  private pendingReload?: NodeJS.Timeout;
  private stopped = false;

  constructor(
    @InjectRepository(SipBan) private readonly banRepository: Repository<SipBan>,
    @InjectRepository(SipAllowlistEntry) private readonly allowlistRepository: Repository<SipAllowlistEntry>,
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly securityLog: SecurityLogService,
    @InjectConfig() private readonly config: AppConfig,
  ) {}

  async onModuleInit(): Promise<void> {
    await this.seedAllowlist();
    await this.reload();
    await this.listen();
    this.reloadTimer = setInterval(() => void this.reload().catch((error) => this.warn('reload', error)), RELOAD_INTERVAL_MS);
    this.reloadTimer.unref();
  }

  async onApplicationShutdown(): Promise<void> {
    this.stopped = true;
    clearInterval(this.reloadTimer);
    clearTimeout(this.pendingReload);
    await this.listener?.end().catch(() => undefined);
  }

  /** Answered from memory. */
  check(ipText: string): CheckResult {
    if (!isIp(ipText)) {
      throw new UnprocessableEntityException(['ip must be an IPv4 or IPv6 address']);
    }
    const address = parseIp(ipText);
    const now = Date.now();
    const allowlisted = this.allowlist.find(address) !== undefined;
    let ban: ActiveBan | undefined;
    for (const candidate of this.bans.matches(address)) {
      if (candidate.expiresAt === null || candidate.expiresAt.getTime() > now) {
        ban = candidate;
        break;
      }
    }
    // As at enforcement in the proxy: an allowlisted address is never treated as banned.
    const banned = ban !== undefined && !allowlisted;
    return {
      ip: address.toString(),
      banned,
      allowlisted,
      expires_at: banned ? (ban!.expiresAt?.toISOString() ?? null) : null,
      reason: banned ? ban!.reason : null,
    };
  }

  listActive(): Promise<SipBan[]> {
    return this.banRepository
      .createQueryBuilder('ban')
      .where(ACTIVE)
      .orderBy('ban.created_at', 'DESC')
      .addOrderBy('ban.id', 'DESC')
      .getMany();
  }

  async createManual(cidrText: string, reason: string, durationSeconds: number | undefined, actorId: string, ip: string): Promise<SipBan> {
    const cidr = normalizeCidr(cidrText);
    const allowlisted = await this.overlappingAllowlistEntry(cidr);
    if (allowlisted) {
      throw new UnprocessableEntityException([`cidr ${cidr} overlaps the allowlisted ${allowlisted}`]);
    }
    const ban = await this.banRepository.save(
      this.banRepository.create({
        cidr,
        reason,
        source: 'manual',
        createdBy: actorId,
        expiresAt: durationSeconds === undefined ? null : new Date(Date.now() + durationSeconds * 1000),
      }),
    );
    this.securityLog.log('sip_ban_created', {
      ip,
      actor_id: actorId,
      ban_id: ban.id,
      cidr,
      source: 'manual',
      reason,
      expires_at: ban.expiresAt?.toISOString() ?? null,
    });
    await this.reload();
    return ban;
  }

  async lift(id: string, actorId: string, ip: string): Promise<void> {
    const result: [Array<{ cidr: string }>, number] = await this.dataSource.query(
      `UPDATE sip_bans SET lifted_at = now(), lifted_by = $2 WHERE id = $1 AND ${ACTIVE} RETURNING cidr`,
      [id, actorId],
    );
    const [rows] = result;
    if (rows.length === 0) {
      throw new NotFoundException('Ban not found');
    }
    this.securityLog.log('sip_ban_lifted', { ip, actor_id: actorId, ban_id: id, cidr: rows[0].cidr });
    await this.reload();
  }

  /** Logs the automatic bans the engine stored (it reloads the index once afterwards). */
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

  listAllowlist(): Promise<SipAllowlistEntry[]> {
    return this.allowlistRepository.find({ order: { cidr: 'ASC' } });
  }

  async addToAllowlist(cidrText: string, description: string, actorId: string, ip: string): Promise<SipAllowlistEntry> {
    const cidr = normalizeCidr(cidrText);
    const [inserted]: SipAllowlistEntry[] = await this.allowlistRepository
      .createQueryBuilder()
      .insert()
      .values({ cidr, description })
      .orIgnore()
      .returning('*')
      .execute()
      .then((result) => result.raw);
    if (!inserted) {
      throw new ConflictException(`${cidr} is already allowlisted`);
    }
    this.securityLog.log('admin_action', { ip, action: 'allowlist_add', actor_id: actorId, cidr, description });
    await this.reload();
    return (await this.allowlistRepository.findOneBy({ cidr }))!;
  }

  async removeFromAllowlist(id: string, actorId: string, ip: string): Promise<void> {
    const entry = await this.allowlistRepository.findOneBy({ id });
    if (!entry) {
      throw new NotFoundException('Allowlist entry not found');
    }
    await this.allowlistRepository.delete(id);
    this.securityLog.log('admin_action', { ip, action: 'allowlist_remove', actor_id: actorId, cidr: entry.cidr });
    await this.reload();
  }

  async reload(): Promise<void> {
    // Plain queries, only the columns a lookup needs: with tens of thousands of bans, entity hydration
    // would be most of the reload.
    const [bans, allowlist]: [Array<{ cidr: string } & ActiveBan>, Array<{ cidr: string }>] = await Promise.all([
      // Of two bans on one CIDR, the one lasting longest comes last, so it is the one the index keeps.
      this.dataSource.query(
        `SELECT cidr::text AS cidr, reason, expires_at AS "expiresAt" FROM sip_bans
          WHERE ${ACTIVE} ORDER BY expires_at ASC NULLS LAST`,
      ),
      this.dataSource.query('SELECT cidr::text AS cidr FROM sip_allowlist'),
    ]);
    this.bans = new CidrIndex(bans.map(({ cidr, reason, expiresAt }) => [cidr, { reason, expiresAt }] as [string, ActiveBan]));
    this.allowlist = new CidrIndex(allowlist.map(({ cidr }) => [cidr, true] as [string, true]));
  }

  private overlappingAllowlistEntry(cidr: string): Promise<string | undefined> {
    return this.dataSource
      .query('SELECT cidr::text FROM sip_allowlist WHERE cidr && $1::cidr ORDER BY masklen(cidr) LIMIT 1', [cidr])
      .then((rows: Array<{ cidr: string }>) => rows[0]?.cidr);
  }

  /** SIP_ALLOWLIST joins the stored allowlist at start (never removing what an admin added). */
  private async seedAllowlist(): Promise<void> {
    const cidrs = this.config.sipAllowlist.map(normalizeCidr);
    if (cidrs.length === 0) return;
    await this.dataSource.query(
      `INSERT INTO sip_allowlist (cidr, description)
       SELECT unnest($1::cidr[]), 'SIP_ALLOWLIST' ON CONFLICT (cidr) DO NOTHING`,
      [cidrs],
    );
  }

  private async listen(): Promise<void> {
    if (this.stopped) return;
    const url = (this.dataSource.options as { url?: string }).url;
    const client = new Client({ connectionString: url, application_name: 'regshield-bans' });
    client.on('notification', () => this.scheduleReload());
    client.on('error', (error) => {
      this.warn('listener', error);
      void client.end().catch(() => undefined);
      setTimeout(() => void this.listen().then(() => this.reload()).catch((e) => this.warn('listener', e)), 1000).unref();
    });
    await client.connect();
    await client.query('LISTEN regshield_bans');
    this.listener = client;
  }

  private scheduleReload(): void {
    if (this.pendingReload || this.stopped) return;
    // Coalesce a burst of changes into one reload.
    this.pendingReload = setTimeout(() => {
      this.pendingReload = undefined;
      void this.reload().catch((error) => this.warn('reload', error));
    }, 20);
  }

  private warn(what: string, error: unknown): void {
    this.logger.warn(`${what}: ${error instanceof Error ? error.message : String(error)}`);
  }
}
