import {
  Injectable,
  Logger,
  NotFoundException,
  OnApplicationBootstrap,
  OnApplicationShutdown,
  OnModuleInit,
} from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, EntityManager } from 'typeorm';
import { AuditTrail } from '../audit/audit-trail.service';
import { normalizeIp } from '../common/cidr';
import { PgListener } from '../database/pg-listener';
import { AdminActor } from '../sip-security/admin-actor';
import { ProxySyncService } from '../sip-security/proxy-sync.service';
import { AccountBlock, AccountBlocksRepository, NewAccountBlock } from './account-blocks.repository';
import { errorMessage } from '../common/error-message';

/** The htable of deploy/kamailio/kamailio.cfg that holds the blocks (loaded from regshield_proxy_account_blocks). */
export const ACCOUNT_BLOCKS_TABLE = 'acctblock';
/** The channel sip_account_blocks' trigger notifies on (migration SipAccounts). */
const ACCOUNT_BLOCK_CHANGES_CHANNEL = 'regshield_account_blocks';
/** Expired blocks leave the proxy on their own; this reload drops them from memory too. */
const FULL_RELOAD_INTERVAL_MS = 10 * 60_000;

export interface ManualBlockRequest {
  username: string;
  domain: string;
  reason: string;
  durationSeconds: number | null;
  sourceIp: string | null;
}

/**
 * Account blocks: an admin's (audited) and the account rules' (in their transaction), and their enforcement
 * at every proxy: the active blocks are kept in memory (reloaded on every change, whichever instance made
 * it) and mirrored into the proxy's `acctblock` table by the proxy push of src/sip-security.
 */
@Injectable()
export class AccountBlocksService implements OnModuleInit, OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger(AccountBlocksService.name);
  private active: AccountBlock[] = [];
  private readonly listener: PgListener;
  private timer?: NodeJS.Timeout;
  private reloading: Promise<void> = Promise.resolve();

  constructor(
    private readonly repository: AccountBlocksRepository,
    private readonly proxySync: ProxySyncService,
    private readonly auditTrail: AuditTrail,
    @InjectDataSource() dataSource: DataSource,
  ) {
    this.listener = new PgListener({
      connectionString: (dataSource.options as { url: string }).url,
      channels: [ACCOUNT_BLOCK_CHANGES_CHANNEL],
      applicationName: 'regshield-account-blocks',
      onNotification: () => void this.reload(),
      onReconnect: () => this.reload(),
      onWarning: (message) => this.logger.warn(message),
    });
  }

  onModuleInit(): void {
    this.proxySync.mirror({ table: ACCOUNT_BLOCKS_TABLE, desired: () => this.proxyKeys() });
  }

  async onApplicationBootstrap(): Promise<void> {
    await this.reload();
    await this.listener.start();
    this.timer = setInterval(() => void this.reload(), FULL_RELOAD_INTERVAL_MS);
    this.timer.unref();
  }

  async onApplicationShutdown(): Promise<void> {
    clearInterval(this.timer);
    await this.listener.stop();
    await this.reloading;
  }

  listActive(): Promise<AccountBlock[]> {
    return this.repository.findActiveBlocks();
  }

  async createManual(request: ManualBlockRequest, actor: AdminActor): Promise<AccountBlock> {
    const block = await this.auditTrail.run(async (tx, record) => {
      const created = await this.repository.insertBlock(
        {
          username: request.username,
          domain: request.domain.toLowerCase(),
          sourceIp: request.sourceIp === null ? null : normalizeIp(request.sourceIp),
          reason: request.reason,
          source: 'manual',
          alertId: null,
          createdBy: actor.id,
          durationSeconds: request.durationSeconds,
        },
        tx,
      );
      await record('sip_account_blocked', { ip: actor.ip, actor_id: actor.id, ...blockFields(created) });
      return created;
    });
    await this.reload();
    return block;
  }

  /** A rule's block, stored by the rule's transaction (the caller reloads after its commit). */
  createAutomatic(block: Omit<NewAccountBlock, 'source' | 'createdBy'>, tx: EntityManager): Promise<AccountBlock> {
    return this.repository.insertBlock({ ...block, source: 'auto', createdBy: null }, tx);
  }

  async lift(id: string, actor: AdminActor): Promise<void> {
    await this.auditTrail.run(async (tx, record) => {
      const lifted = await this.repository.liftActiveBlock(id, actor.id, tx);
      if (lifted === undefined) throw new NotFoundException('Account block not found');
      await record('sip_account_unblocked', { ip: actor.ip, actor_id: actor.id, ...blockFields(lifted) });
    });
    await this.reload();
  }

  /** Reloads the active blocks and pushes the change to the proxies; reloads never overlap. */
  reload(): Promise<void> {
    this.reloading = this.reloading
      .then(async () => {
        this.active = await this.repository.findActiveBlocks();
        this.proxySync.tableChanged();
      })
      .catch((error: unknown) => this.logger.warn(`reload failed: ${errorMessage(error)}`));
    return this.reloading;
  }

  /** The proxy's keys: "username@domain", or "username@domain|address" for one source. */
  private proxyKeys(): Map<string, number | null> {
    const keys = new Map<string, number | null>();
    const now = Date.now();
    for (const block of this.active) {
      const expiresAt = block.expiresAt === null ? null : new Date(block.expiresAt).getTime();
      if (expiresAt !== null && expiresAt <= now) continue;
      const key = accountBlockKey(block.username, block.domain, block.sourceIp);
      const known = keys.get(key);
      if (known === undefined || (known !== null && (expiresAt === null || expiresAt > known))) {
        keys.set(key, expiresAt);
      }
    }
    return keys;
  }
}

/** How kamailio.cfg looks a block up (domain in lower case, the source as the proxy prints it). */
export function accountBlockKey(username: string, domain: string, sourceIp: string | null): string {
  return `${username}@${domain.toLowerCase()}${sourceIp === null ? '' : `|${sourceIp}`}`;
}

export function blockFields(block: AccountBlock): Record<string, unknown> {
  return {
    block_id: block.id,
    username: block.username,
    domain: block.domain,
    source_ip: block.sourceIp,
    reason: block.reason,
    source: block.source,
    expires_at: block.expiresAt === null ? null : new Date(block.expiresAt).toISOString(),
  };
}
