import {
  Injectable,
  Logger,
  OnApplicationBootstrap,
  OnApplicationShutdown,
  UnprocessableEntityException,
} from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { parseIpOrUndefined } from '../common/cidr';
import { PgListener } from '../database/pg-listener';
import { CheckAnswers } from './check-answers';
import { CidrIndex } from './cidr-index';
import { SipAllowlistRepository } from './sip-allowlist.repository';
import { IndexedBan, SipBansRepository } from './sip-bans.repository';
import { errorMessage } from '../common/error-message';

/** An address's state as check/{ip} reports it. */
export interface BanCheck {
  ip: string;
  banned: boolean;
  allowlisted: boolean;
  /** Of the ban, when banned; null: until lifted. */
  expiresAt: Date | null;
  reason: string | null;
}

/** What the indexes hold, for whoever mirrors them elsewhere (the proxy, ProxySyncService). */
export interface BanSnapshot {
  bans: IndexedBan[];
  allowlist: string[];
}

/** The channel the sip_bans and sip_allowlist triggers notify on (migration CreateSipSecurity). */
export const BAN_CHANGES_CHANNEL = 'regshield_bans';
/** How this instance's LISTEN connection shows in pg_stat_activity. */
export const BAN_LISTENER_APPLICATION_NAME = 'regshield-bans';
/**
 * Notifications (and a reload after every listener reconnect) keep the indexes current, and expiry is
 * checked at lookup; this rare full reload only drops expired bans from memory.
 */
const FULL_RELOAD_INTERVAL_MS = 10 * 60_000;
/** A burst of changes (the engine's tick, a bulk insert) is coalesced into one reload. */
const NOTIFICATION_COALESCE_MS = 20;
/** check/{ip} answers kept between changes of the indexes: a large attack's sources, a few MiB at most. */
const REMEMBERED_ANSWERS = 50_000;

/**
 * The active bans and the allowlist, mirrored in memory in CIDR indexes so that check/{ip} never touches
 * the database. Every instance listens for the notification the tables' triggers send, and reloads.
 */
@Injectable()
export class BanIndexService implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger(BanIndexService.name);
  private bans = new CidrIndex<IndexedBan>();
  private allowlist = new CidrIndex<true>();
  private loaded: BanSnapshot = { bans: [], allowlist: [] };
  private readonly answers = new CheckAnswers<BanCheck>(REMEMBERED_ANSWERS);
  private readonly changeListeners: Array<(snapshot: BanSnapshot) => void> = [];
  /** Bans added since the running reload began reading, which its read may not include. */
  private addedDuringRead: IndexedBan[] = [];
  private readonly listener: PgListener;
  private fullReloadTimer?: NodeJS.Timeout;
  private pendingNotification?: NodeJS.Timeout;
  private runningReload?: Promise<void>;
  private queuedReload?: Promise<void>;

  constructor(
    private readonly banRepository: SipBansRepository,
    private readonly allowlistRepository: SipAllowlistRepository,
    @InjectDataSource() dataSource: DataSource,
  ) {
    this.listener = new PgListener({
      connectionString: (dataSource.options as { url: string }).url,
      channels: [BAN_CHANGES_CHANNEL],
      applicationName: BAN_LISTENER_APPLICATION_NAME,
      onNotification: () => this.scheduleReload(),
      onReconnect: () => this.reload(),
      onWarning: (message) => this.logger.warn(message),
    });
  }

  /**
   * After every module's init, so that the allowlist already follows SIP_ALLOWLIST (AllowlistService)
   * when it is first loaded.
   */
  async onApplicationBootstrap(): Promise<void> {
    await this.reload();
    await this.listener.start();
    this.fullReloadTimer = setInterval(
      () => void this.reload().catch((error) => this.warn(error)),
      FULL_RELOAD_INTERVAL_MS,
    );
    this.fullReloadTimer.unref();
  }

  async onApplicationShutdown(): Promise<void> {
    clearInterval(this.fullReloadTimer);
    clearTimeout(this.pendingNotification);
    await this.listener.stop();
  }

  /** Answered from memory; 422 for anything but an IPv4 or IPv6 address. */
  check(ipText: string): BanCheck {
    const now = Date.now();
    const remembered = this.answers.get(ipText, now);
    if (remembered !== undefined) return remembered;
    const answer = this.lookUp(ipText, now);
    this.answers.remember(ipText, answer);
    return answer;
  }

  private lookUp(ipText: string, now: number): BanCheck {
    const address = parseIpOrUndefined(ipText);
    if (address === undefined) {
      throw new UnprocessableEntityException(['ip must be an IPv4 or IPv6 address']);
    }
    const allowlisted = this.allowlist.find(address) !== undefined;
    let ban: IndexedBan | undefined;
    for (const candidate of this.bans.matches(address)) {
      if (candidate.expiresAt === null || candidate.expiresAt.getTime() > now) {
        ban = candidate;
        break;
      }
    }
    // As at enforcement in the proxy (regshield_is_banned): an allowlisted address is never banned.
    const activeBan = allowlisted ? undefined : ban;
    return {
      ip: address.toString(),
      banned: activeBan !== undefined,
      allowlisted,
      expiresAt: activeBan?.expiresAt ?? null,
      reason: activeBan?.reason ?? null,
    };
  }

  /** The active bans and the allowlist as last loaded (expired bans may remain until the next reload). */
  snapshot(): BanSnapshot {
    return this.loaded;
  }

  /** Called after every change of the indexes (a reload, or bans added), with what they now hold. */
  onChange(listener: (snapshot: BanSnapshot) => void): void {
    this.changeListeners.push(listener);
  }

  /**
   * Bans just committed (the engine's look), in force here and pushed at once rather than after a reload of
   * every ban: a distributed attack's look bans hundreds of sources, and the full reload took 60-80 ms of the
   * second a source may guess before it is cut off. The tables' notification still brings that reload, which
   * then finds them (and tells the other instances). None of them may be on a CIDR with an active ban.
   */
  add(bans: IndexedBan[]): void {
    if (bans.length === 0) return;
    if (this.runningReload) this.addedDuringRead.push(...bans);
    this.bans.add(bans.map((ban) => [ban.cidr, ban] as [string, IndexedBan]));
    this.loaded = { bans: [...this.loaded.bans, ...bans], allowlist: this.loaded.allowlist };
    this.notifyChange();
  }

  /**
   * Reloads both indexes from the database. Reloads never overlap: one asked for while another runs
   * starts after it (and later callers share that one), so an older read never replaces a newer one.
   */
  reload(): Promise<void> {
    if (this.queuedReload) return this.queuedReload;
    if (!this.runningReload) return this.startReload();
    this.queuedReload = this.runningReload
      .catch(() => undefined)
      .then(() => {
        this.queuedReload = undefined;
        return this.startReload();
      });
    return this.queuedReload;
  }

  private startReload(): Promise<void> {
    const reload = this.load().finally(() => {
      if (this.runningReload === reload) this.runningReload = undefined;
    });
    this.runningReload = reload;
    return reload;
  }

  private async load(): Promise<void> {
    // What was added before this read was committed before it: the read includes it.
    this.addedDuringRead = [];
    const [read, allowlist] = await Promise.all([
      this.banRepository.findActiveBansForIndex(),
      this.allowlistRepository.findAllCidrs(),
    ]);
    // A ban added while the read ran may have committed after its snapshot; without it, this reload would
    // lift it here and at the proxy until the reload its notification brings.
    const readCidrs = new Set(read.map((ban) => ban.cidr));
    const bans = [...read, ...this.addedDuringRead.filter((ban) => !readCidrs.has(ban.cidr))];
    this.addedDuringRead = [];
    this.bans = new CidrIndex(bans.map((ban) => [ban.cidr, ban] as [string, IndexedBan]));
    this.allowlist = new CidrIndex(allowlist.map((cidr) => [cidr, true] as [string, true]));
    this.loaded = { bans, allowlist };
    this.notifyChange();
  }

  private notifyChange(): void {
    this.answers.clear();
    for (const listener of this.changeListeners) listener(this.loaded);
  }

  private scheduleReload(): void {
    if (this.pendingNotification) return;
    this.pendingNotification = setTimeout(() => {
      this.pendingNotification = undefined;
      void this.reload().catch((error) => this.warn(error));
    }, NOTIFICATION_COALESCE_MS);
  }

  private warn(error: unknown): void {
    this.logger.warn(`reload: ${errorMessage(error)}`);
  }
}
