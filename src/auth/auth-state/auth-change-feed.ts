import { randomBytes } from 'node:crypto';
import { PgListener, PgListenerOptions } from '../../database/pg-listener';

/** The channel the auth tables' triggers notify on, with payloads `<kind>:<id>` (`user:<uuid>`). */
export const AUTH_CHANGES_CHANNEL = 'regshield_auth';
/** How this instance's LISTEN connection shows in pg_stat_activity. */
export const AUTH_LISTENER_APPLICATION_NAME = 'regshield-auth';
/**
 * A change committed anywhere must be seen everywhere within 1 s. The feed is current while its last
 * heartbeat confirmed, sent less than this long ago, is recent: everything committed before that heartbeat
 * was sent has been applied. The margin is for the request that reads the cache.
 */
export const CURRENT_FOR_MS = 750;
/** How often the heartbeat goes out (several per CURRENT_FOR_MS, so one late one costs nothing). */
export const HEARTBEAT_INTERVAL_MS = 150;
/** A heartbeat unanswered this long means a connection that hangs without breaking: it is dropped. */
export const HEARTBEAT_GIVE_UP_MS = 5000;
/**
 * Heartbeats stop when nothing has asked isCurrent() for this long: each one is a transaction, and wakes
 * every LISTEN connection of the database (every instance's), ~7 a second for an instance serving no one.
 * The first request after that finds the feed not current and reads the database, as after any gap, and
 * restarts them; the next requests are served from the cache again within a heartbeat's round trip.
 */
export const HEARTBEAT_IDLE_AFTER_MS = 10_000;

export type Listener = Pick<PgListener, 'start' | 'stop' | 'notify' | 'dropConnection'>;

export interface AuthChangeFeedOptions {
  connectionString: string;
  /** A row of this kind changed (or was deleted). */
  onChange(kind: string, id: string): void;
  /** Notifications may have been lost (the connection broke): every cached row is suspect. */
  onGap(): void;
  onWarning(message: string): void;
  /** Tests pass a fake; the real one is a PgListener with these options. */
  createListener?: (options: PgListenerOptions) => Listener;
  now?: () => number;
}

/**
 * The auth tables' change notifications, and the proof that none is missing. Every HEARTBEAT_INTERVAL_MS the
 * feed sends a notification carrying its send time to a channel only this instance listens on, over its own
 * LISTEN connection. PostgreSQL delivers notifications in commit order, so when one comes back every change
 * committed before it was sent has been delivered: isCurrent() says whether that happened less than
 * CURRENT_FOR_MS ago. A broken connection, a hung one, or a database that stopped answering all end up as
 * "not current", so the caches fall back to the database instead of serving what they may have missed.
 */
export class AuthChangeFeed {
  private readonly listener: Listener;
  private readonly heartbeatChannel = `${AUTH_CHANGES_CHANNEL}_alive_${randomBytes(8).toString('hex')}`;
  private readonly now: () => number;
  private heartbeatTimer?: NodeJS.Timeout;
  private heartbeatSentAt?: number;
  /** When isCurrent() was last asked: heartbeats go out only while someone uses the cache. */
  private askedAt = -Infinity;
  /** Send time of the newest heartbeat that came back; everything committed before it has arrived. */
  private confirmedUpTo = -Infinity;

  constructor(private readonly options: AuthChangeFeedOptions) {
    this.now = options.now ?? (() => performance.now());
    const listenerOptions: PgListenerOptions = {
      connectionString: options.connectionString,
      channels: [AUTH_CHANGES_CHANNEL, this.heartbeatChannel],
      applicationName: AUTH_LISTENER_APPLICATION_NAME,
      onNotification: (channel, payload) => this.received(channel, payload),
      onConnectionLost: () => this.lost(),
      // Lost with the old connection: whatever was notified meanwhile.
      onReconnect: () => this.lost(),
      onWarning: (message) => options.onWarning(message),
    };
    this.listener = options.createListener?.(listenerOptions) ?? new PgListener(listenerOptions);
  }

  async start(): Promise<void> {
    await this.listener.start();
    this.heartbeatTimer = setInterval(() => {
      if (this.now() - this.askedAt < HEARTBEAT_IDLE_AFTER_MS) this.heartbeat();
    }, HEARTBEAT_INTERVAL_MS);
    this.heartbeatTimer.unref();
    // Current from the first requests on, which come as soon as the service listens.
    this.askedAt = this.now();
    this.heartbeat();
  }

  async stop(): Promise<void> {
    clearInterval(this.heartbeatTimer);
    this.confirmedUpTo = -Infinity;
    await this.listener.stop();
  }

  isCurrent(): boolean {
    const now = this.now();
    const current = now - this.confirmedUpTo < CURRENT_FOR_MS;
    if (now - this.askedAt >= HEARTBEAT_IDLE_AFTER_MS) this.heartbeat();
    this.askedAt = now;
    return current;
  }

  private heartbeat(): void {
    const now = this.now();
    if (this.heartbeatSentAt !== undefined) {
      // One at a time: a query queued behind a hung one would only pile up.
      if (now - this.heartbeatSentAt > HEARTBEAT_GIVE_UP_MS) {
        this.heartbeatSentAt = undefined;
        this.listener.dropConnection();
      }
      return;
    }
    this.heartbeatSentAt = now;
    this.listener.notify(this.heartbeatChannel, String(now)).then(
      () => {
        if (this.heartbeatSentAt === now) this.heartbeatSentAt = undefined;
      },
      () => {
        if (this.heartbeatSentAt === now) this.heartbeatSentAt = undefined;
      },
    );
  }

  private received(channel: string, payload: string | undefined): void {
    if (channel === this.heartbeatChannel) {
      const sentAt = Number(payload);
      // Only this process's own clock readings count (anything else on the channel is ignored).
      if (Number.isFinite(sentAt) && sentAt <= this.now()) this.confirmedUpTo = Math.max(this.confirmedUpTo, sentAt);
      return;
    }
    const separator = payload?.indexOf(':') ?? -1;
    if (payload === undefined || separator <= 0) {
      // Unreadable: the safe reading is "anything may have changed".
      this.options.onGap();
      return;
    }
    this.options.onChange(payload.slice(0, separator), payload.slice(separator + 1));
  }

  private lost(): void {
    this.confirmedUpTo = -Infinity;
    this.options.onGap();
  }
}
