import { Injectable, Logger, OnApplicationBootstrap, OnApplicationShutdown } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { PgListener } from './pg-listener';

/** Sent once per INSERT statement by the tables' triggers (migration WakeUpNotifications), the table as payload. */
export const INSERTS_CHANNEL = 'regshield_inserts';
export const INSERTS_LISTENER_APPLICATION_NAME = 'regshield-inserts';

export type AnnouncedTable =
  'failed_registrations' | 'door_knock_attempts' | 'registration_successes' | 'mail_outbox' | 'account_email_requests';

/**
 * Tells the pollers of these tables (the ban engine, the account watch, the outbox worker, the e-mail link
 * requests) that rows were
 * committed, so an idle instance need not open a transaction at every tick to find nothing. One LISTEN
 * connection for all of them: every NOTIFY in the database (the auth heartbeat's several a second among them)
 * costs each listening connection a transaction to read the queue, so each new listener is a rent of its own.
 * While it is down a poller cannot know, and looks at every tick as before; after a reconnection every
 * subscriber is woken, since rows committed meanwhile were announced to nobody.
 */
@Injectable()
export class InsertSignals implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger(InsertSignals.name);
  private readonly listener: PgListener;
  private readonly subscribers: Array<{ tables: ReadonlySet<string>; wake: () => void }> = [];

  constructor(@InjectDataSource() dataSource: DataSource) {
    this.listener = new PgListener({
      connectionString: (dataSource.options as { url: string }).url,
      channels: [INSERTS_CHANNEL],
      applicationName: INSERTS_LISTENER_APPLICATION_NAME,
      onNotification: (_channel, table) => {
        for (const subscriber of this.subscribers) {
          if (table !== undefined && subscriber.tables.has(table)) subscriber.wake();
        }
      },
      onReconnect: () => {
        for (const subscriber of this.subscribers) subscriber.wake();
      },
      onWarning: (message) => this.logger.warn(message),
    });
  }

  /** `wake` is called for every announced insert into one of `tables` (subscribe before the bootstrap). */
  subscribe(tables: readonly AnnouncedTable[], wake: () => void): void {
    this.subscribers.push({ tables: new Set(tables), wake });
  }

  /** While true, every row committed into the tables from now on will be announced. */
  get listening(): boolean {
    return this.listener.connected;
  }

  async onApplicationBootstrap(): Promise<void> {
    await this.listener.start();
  }

  async onApplicationShutdown(): Promise<void> {
    await this.listener.stop();
  }
}

/**
 * When one poller of announced tables must look, the rule every such poller follows: a tick looks when rows
 * were announced since its last look began (the first tick looks at whatever is there), while its LISTEN
 * connection is down (nothing can be announced), or once `safetyLookMs` has passed since its last look, for
 * rows no trigger announced.
 */
export class WakeUps {
  private announced = true;
  private lastLookStartedAt = 0;

  constructor(
    private readonly signals: Pick<InsertSignals, 'subscribe' | 'listening'>,
    tables: readonly AnnouncedTable[],
    private readonly safetyLookMs: number,
  ) {
    signals.subscribe(tables, () => this.lookAgain());
  }

  mustLook(now = Date.now()): boolean {
    return this.announced || !this.signals.listening || now - this.lastLookStartedAt >= this.safetyLookMs;
  }

  /** As a look begins to read: a row announced from here on may be missed by it, and calls for another look. */
  lookStarting(now = Date.now()): void {
    this.announced = false;
    this.lastLookStartedAt = now;
  }

  /** The next tick looks whatever was announced: this look failed, or left rows it could not handle yet. */
  lookAgain(): void {
    this.announced = true;
  }
}
