import { Client, Notification } from 'pg';
import { errorMessage } from '../common/error-message';

export interface PgListenerOptions {
  connectionString: string;
  channels: readonly string[];
  /** Shown in pg_stat_activity, so an operator (or a test) can find this connection. */
  applicationName: string;
  onNotification: (channel: string, payload: string | undefined) => void;
  /**
   * Called after every reconnection (not the first connection): notifications sent while the connection
   * was down are lost, so whatever they keep current must be reloaded.
   */
  onReconnect(): Promise<void> | void;
  /** Called as soon as a connection is found broken, before the reconnection attempts. */
  onConnectionLost?(): void;
  onWarning(message: string): void;
  /** First delay and cap of the exponential backoff between attempts. */
  retryDelayMs?: { initial: number; max: number };
}

const DEFAULT_RETRY_DELAY_MS = { initial: 250, max: 30_000 };

/**
 * A PostgreSQL LISTEN connection that stays up: after any error or end it reconnects forever, with capped
 * exponential backoff and jitter (so that instances restarted by one outage do not reconnect in step),
 * LISTENs again and calls onReconnect. A LISTEN needs a connection of its own, outside TypeORM's pool,
 * for as long as the process runs.
 */
export class PgListener {
  private client?: Client;
  private dropCurrent?: (error: Error) => void;
  private retryTimer?: NodeJS.Timeout;
  private failures = 0;
  private connectedBefore = false;
  private stopped = false;

  constructor(private readonly options: PgListenerOptions) {}

  /**
   * True while LISTENing: every notification committed from then on reaches onNotification. A poller may
   * skip its looks only while this holds (and must look after onReconnect).
   */
  get connected(): boolean {
    return this.client !== undefined;
  }

  /** The first attempt; if it fails, the listener keeps trying in the background (it never throws). */
  start(): Promise<void> {
    return this.connect();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.retryTimer);
    const client = this.client;
    this.client = undefined;
    await client?.end().catch(() => undefined);
  }

  /**
   * Sends a notification over this listener's own connection; rejects while it is down. A notification
   * to a channel it listens on comes back to it after every one committed before it (the server's queue
   * is in commit order), which proves the connection current (AuthChangeFeed's heartbeat).
   */
  async notify(channel: string, payload: string): Promise<void> {
    if (!this.client) throw new Error('LISTEN connection is down');
    await this.client.query('SELECT pg_notify($1, $2)', [channel, payload]);
  }

  /** Drops the connection as if it had broken (a silent one, say): the usual reconnection follows. */
  dropConnection(): void {
    this.dropCurrent?.(new Error('dropped as unresponsive'));
  }

  private async connect(): Promise<void> {
    if (this.stopped) return;
    const { connectionString, applicationName, channels, onNotification } = this.options;
    const client = new Client({ connectionString, application_name: applicationName });
    let lost = false;
    // 'error' and 'end' both follow a broken connection: act on the first only.
    const onLost = (error?: unknown) => {
      if (lost) return;
      lost = true;
      this.connectionLost(client, error);
    };
    client.on('error', onLost);
    client.on('end', () => onLost());
    client.on('notification', (message: Notification) => onNotification(message.channel, message.payload));
    try {
      await client.connect();
      for (const channel of channels) {
        await client.query(`LISTEN ${client.escapeIdentifier(channel)}`);
      }
    } catch (error) {
      onLost(error);
      return;
    }
    if (this.stopped) {
      await client.end().catch(() => undefined);
      return;
    }
    this.client = client;
    this.dropCurrent = onLost;
    this.failures = 0;
    if (this.connectedBefore) {
      await Promise.resolve(this.options.onReconnect()).catch((error: unknown) =>
        this.options.onWarning(`reload after reconnecting failed: ${errorMessage(error)}`),
      );
    }
    this.connectedBefore = true;
  }

  private connectionLost(client: Client, error: unknown): void {
    if (this.client === client) {
      this.client = undefined;
      this.dropCurrent = undefined;
    }
    void client.end().catch(() => undefined);
    if (this.stopped) return;
    this.options.onConnectionLost?.();
    const delay = this.nextDelayMs();
    this.options.onWarning(
      `LISTEN connection lost${error === undefined ? '' : ` (${errorMessage(error)})`}; reconnecting in ${delay} ms`,
    );
    this.retryTimer = setTimeout(() => void this.connect(), delay);
    this.retryTimer.unref();
  }

  /** Exponential backoff capped at max, with "equal jitter": between half and all of the step. */
  private nextDelayMs(): number {
    const { initial, max } = this.options.retryDelayMs ?? DEFAULT_RETRY_DELAY_MS;
    const step = Math.min(max, initial * 2 ** Math.min(this.failures, 30));
    this.failures += 1;
    return Math.round(step / 2 + Math.random() * (step / 2));
  }
}
