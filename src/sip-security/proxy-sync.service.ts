import { Injectable, Logger, OnApplicationBootstrap, OnApplicationShutdown } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import { AppConfig } from '../config/app-config';
import { InjectConfig } from '../config/config.module';
import { MetricsService } from '../metrics/metrics.service';
import { BanIndexService } from './ban-index.service';
import { KamailioRpcClient } from './kamailio-rpc.client';
import { PROXY_STATE_KEYS, PROXY_TABLES, ProxyBanState, proxyBanState } from './proxy-ban-state';
import { urlWithoutCredentials } from '../common/url-without-credentials';
import { errorMessage, isErrorLike } from '../common/error-message';

/** One proxy as the console's status page shows it. */
export interface ProxyStatus {
  /** Its RPC URL without credentials. */
  url: string;
  /** Whether its last push succeeded; null before the first ended. */
  inStep: boolean | null;
  lastPushAt: Date | null;
  /** The last failure's message; null once a push succeeds again. */
  lastError: string | null;
}

/** Heartbeat, restart detection and expiry of wide bans: once a second. */
const TICK_MS = 1000;
/** How long a proxy counts the service as alive after a heartbeat (FAIL_CLOSED in deploy/kamailio). */
const ALIVE_TTL_SECONDS = 5;
/** A full sync now and then renews the bans without expiry, which the proxy would drop after a year. */
const FULL_SYNC_INTERVAL_MS = 10 * 60_000;
/**
 * From this many host bans to push (new ones, or all of them in a full sync), the proxy reloads its ban
 * table from the database view in one call instead of one call per ban (each ~10 ms on loopback): the 200
 * bans of a distributed attack reach the proxy in ~0.1 s instead of 2–5 s (`npm run bench:sip`).
 */
const BULK_RELOAD_FROM = 20;

/**
 * A table of keys, each with its expiry, that the proxy holds besides the bans (e.g. the account blocks of
 * src/sip-accounts), mirrored in the same pushes: in full after a restart or failure, by difference otherwise.
 */
export interface MirroredTable {
  /** The htable's name in kamailio.cfg (loaded there from a database view at start). */
  readonly table: string;
  /** Key → expiry in ms since the epoch (null: until removed), as the proxy should hold it now. */
  desired(): ReadonlyMap<string, number | null>;
}

/** What a push makes the proxy hold: the bans, and each mirrored table's keys. */
interface ProxyState {
  bans: ProxyBanState;
  tables: Map<string, ReadonlyMap<string, number | null>>;
}

/**
 * Keeps every configured Kamailio's in-memory ban tables equal to the ban index (SIP_PROXY_RPC_URLS), so that
 * the proxy enforces a ban, or stops enforcing it, within a second and never asks the database per request.
 * Every change of the index (a ban of this instance, or through NOTIFY of another) is pushed at once as a
 * difference; a proxy that restarted (its `synced_by` mark is gone) or failed a call gets a full sync.
 */
@Injectable()
export class ProxySyncService implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly mirrors: ProxyMirror[];
  private readonly tables: MirroredTable[] = [];
  private timer?: NodeJS.Timeout;

  constructor(
    private readonly index: BanIndexService,
    metrics: MetricsService,
    @InjectConfig() config: AppConfig,
  ) {
    const instanceId = randomUUID();
    const decoys = config.sipDecoyUsernames.join(',');
    this.mirrors = config.sipProxyRpcUrls.map(
      (url) => new ProxyMirror(new KamailioRpcClient(url), instanceId, metrics, decoys),
    );
  }

  onApplicationBootstrap(): void {
    if (this.mirrors.length === 0) return;
    this.index.onChange(() => this.pushAll(false));
    this.pushAll(true);
    this.timer = setInterval(() => this.pushAll(true), TICK_MS);
    this.timer.unref();
  }

  async onApplicationShutdown(): Promise<void> {
    clearInterval(this.timer);
    await Promise.all(this.mirrors.map((mirror) => mirror.idle()));
  }

  /** Each configured proxy as this instance last found it (every instance pushes to every proxy). */
  proxyStatuses(): ProxyStatus[] {
    return this.mirrors.map((mirror) => mirror.status());
  }

  /** Mirrors one more table to every proxy; to be called before the application bootstraps (onModuleInit). */
  mirror(table: MirroredTable): void {
    this.tables.push(table);
  }

  /** Pushes what changed in a mirrored table now, instead of at the next heartbeat. */
  tableChanged(): void {
    this.pushAll(false);
  }

  private pushAll(heartbeat: boolean): void {
    for (const mirror of this.mirrors) {
      mirror.schedule(
        () => ({
          bans: proxyBanState(this.index.snapshot(), Date.now()),
          tables: new Map(this.tables.map((table) => [table.table, table.desired()])),
        }),
        heartbeat,
      );
    }
  }
}

/** One proxy: what it was last told, and a queue so that its calls never overlap or reorder. */
class ProxyMirror {
  private readonly logger = new Logger(ProxySyncService.name);
  /** What the proxy holds as far as we know; undefined: unknown, the next push is a full sync. */
  private pushed?: ProxyState;
  private lastFullSync = 0;
  private running: Promise<void> = Promise.resolve();
  private queued = false;
  private queuedHeartbeat = false;
  private reachable = true;
  private lastOutcome?: { inStep: boolean; at: Date; error: string | null };
  /** How the log names the proxy: its URL without the password an RPC URL may carry. */
  private readonly proxyName: string;

  constructor(
    private readonly rpc: KamailioRpcClient,
    private readonly instanceId: string,
    private readonly metrics: MetricsService,
    /** Fixed for the process's life, so a full sync (start, or a restarted proxy) is the only time it is sent. */
    private readonly decoys: string,
  ) {
    this.proxyName = urlWithoutCredentials(rpc.url);
  }

  /** Pushes of a burst of reloads collapse into one, run after the one in progress. */
  schedule(desired: () => ProxyState, heartbeat: boolean): void {
    this.queuedHeartbeat ||= heartbeat;
    if (this.queued) return;
    this.queued = true;
    this.running = this.running.then(async () => {
      this.queued = false;
      const withHeartbeat = this.queuedHeartbeat;
      this.queuedHeartbeat = false;
      try {
        await this.push(desired, withHeartbeat);
        if (!this.reachable) this.logger.log(`proxy ${this.proxyName} is in step again`);
        this.reachable = true;
        this.lastOutcome = { inStep: true, at: new Date(), error: null };
        this.metrics.setProxyInStep(this.rpc.url, true);
      } catch (error) {
        this.pushed = undefined;
        const message = describeFailure(error);
        this.lastOutcome = { inStep: false, at: new Date(), error: message };
        if (this.reachable) {
          this.logger.warn(`proxy ${this.proxyName}: ${message}; retrying every second`);
        }
        this.reachable = false;
        this.metrics.setProxyInStep(this.rpc.url, false);
      }
    });
  }

  idle(): Promise<void> {
    return this.running;
  }

  status(): ProxyStatus {
    return {
      url: this.proxyName,
      inStep: this.lastOutcome?.inStep ?? null,
      lastPushAt: this.lastOutcome?.at ?? null,
      lastError: this.lastOutcome?.error ?? null,
    };
  }

  /**
   * The state to push is read after the heartbeat's restart check, not when the push was queued: bans added
   * while that call ran go out in this push, ahead of the alive mark, instead of in one queued behind the whole
   * heartbeat (each call is a round trip to a proxy that may be busy with an attack). The alive mark
   * comes last, so that a FAIL_CLOSED proxy that restarted opens only with its bans loaded.
   */
  private async push(desired: () => ProxyState, heartbeat: boolean): Promise<void> {
    if (heartbeat && this.pushed !== undefined) {
      const mark = await this.rpc.get(PROXY_TABLES.state, PROXY_STATE_KEYS.syncedBy);
      if (mark === undefined || Date.now() - this.lastFullSync > FULL_SYNC_INTERVAL_MS) this.pushed = undefined;
    }
    const state = desired();
    if (this.pushed === undefined) {
      for (const [table, keys] of state.tables) await this.fullSyncTable(table, keys);
      await this.fullSync(state.bans);
    } else {
      for (const [table, keys] of state.tables) {
        await this.pushTableDifference(table, this.pushed.tables.get(table) ?? new Map(), keys);
      }
      await this.pushDifference(this.pushed.bans, state.bans);
    }
    this.pushed = state;
    if (heartbeat) {
      await this.rpc.setString(PROXY_TABLES.state, PROXY_STATE_KEYS.alive, this.instanceId, ALIVE_TTL_SECONDS);
    }
  }

  /**
   * Every desired key set (or the table reloaded), every other key the proxy holds deleted, the decoy list, then
   * the mark that says so.
   */
  private async fullSync(desired: ProxyBanState): Promise<void> {
    if (!(desired.hostBans.size >= BULK_RELOAD_FROM && (await this.reloadHostBans()))) {
      const held = await this.rpc.keys(PROXY_TABLES.hostBans);
      for (const [address, expiresAt] of desired.hostBans) {
        await this.setHostBan(address, expiresAt);
      }
      for (const address of held) {
        if (!desired.hostBans.has(address)) await this.rpc.delete(PROXY_TABLES.hostBans, address);
      }
    }
    await this.rpc.setString(PROXY_TABLES.state, PROXY_STATE_KEYS.allowlist, desired.allowlist);
    await this.rpc.setString(PROXY_TABLES.state, PROXY_STATE_KEYS.wideBans, desired.wideBans);
    await this.rpc.setString(PROXY_TABLES.state, PROXY_STATE_KEYS.decoys, this.decoys);
    await this.rpc.setString(PROXY_TABLES.state, PROXY_STATE_KEYS.syncedBy, this.instanceId);
    this.lastFullSync = Date.now();
  }

  /** Additions before deletions: a source that both the old and the new state drop is never let through in between. */
  private async pushDifference(pushed: ProxyBanState, desired: ProxyBanState): Promise<void> {
    if (pushed.allowlist !== desired.allowlist) {
      await this.rpc.setString(PROXY_TABLES.state, PROXY_STATE_KEYS.allowlist, desired.allowlist);
    }
    const changed = [...desired.hostBans].filter(
      ([address, expiresAt]) => !pushed.hostBans.has(address) || pushed.hostBans.get(address) !== expiresAt,
    );
    if (!(changed.length >= BULK_RELOAD_FROM && (await this.reloadHostBans()))) {
      for (const [address, expiresAt] of changed) {
        await this.setHostBan(address, expiresAt);
      }
    }
    if (pushed.wideBans !== desired.wideBans) {
      await this.rpc.setString(PROXY_TABLES.state, PROXY_STATE_KEYS.wideBans, desired.wideBans);
    }
    const now = Date.now();
    for (const [address, expiresAt] of pushed.hostBans) {
      // An expired ban left the proxy's table on its own.
      if (!desired.hostBans.has(address) && (expiresAt === null || expiresAt > now)) {
        await this.rpc.delete(PROXY_TABLES.hostBans, address);
      }
    }
  }

  /** A mirrored table's full sync: every desired key set, every other key deleted (before the mark is set). */
  private async fullSyncTable(table: string, desired: ReadonlyMap<string, number | null>): Promise<void> {
    const held = await this.rpc.keys(table);
    for (const [key, expiresAt] of desired) await this.setKey(table, key, expiresAt);
    for (const key of held) {
      if (!desired.has(key)) await this.rpc.delete(table, key);
    }
  }

  private async pushTableDifference(
    table: string,
    pushed: ReadonlyMap<string, number | null>,
    desired: ReadonlyMap<string, number | null>,
  ): Promise<void> {
    for (const [key, expiresAt] of desired) {
      if (!pushed.has(key) || pushed.get(key) !== expiresAt) await this.setKey(table, key, expiresAt);
    }
    const now = Date.now();
    for (const [key, expiresAt] of pushed) {
      if (!desired.has(key) && (expiresAt === null || expiresAt > now)) await this.rpc.delete(table, key);
    }
  }

  /**
   * The proxy's reload reads the same active bans from the database (regshield_proxy_host_bans) that this
   * push would send, removing the ones no longer there. False when it could not (e.g. the proxy cannot reach
   * the database): the caller then pushes ban by ban.
   */
  private async reloadHostBans(): Promise<boolean> {
    try {
      await this.rpc.reload(PROXY_TABLES.hostBans);
      return true;
    } catch (error) {
      const reason = errorMessage(error);
      this.logger.warn(`proxy ${this.proxyName}: reload failed (${reason}); pushing ban by ban`);
      return false;
    }
  }

  private setHostBan(address: string, expiresAt: number | null): Promise<void> {
    return this.setKey(PROXY_TABLES.hostBans, address, expiresAt, 'ban');
  }

  private setKey(table: string, key: string, expiresAt: number | null, value = '1'): Promise<void> {
    const ttlSeconds = expiresAt === null ? undefined : (expiresAt - Date.now()) / 1000;
    return this.rpc.setString(table, key, value, ttlSeconds);
  }
}

/**
 * fetch's own message ("fetch failed") says nothing; its cause says what failed (ECONNREFUSED, a timeout).
 * Read by shape, not `instanceof Error`: fetch's errors come from another realm under Jest's sandbox.
 */
function describeFailure(error: unknown): string {
  const message = errorMessage(error);
  const cause = isErrorLike(error) && isErrorLike(error.cause) ? error.cause.message : undefined;
  return cause === undefined ? message : `${message}: ${cause}`;
}
