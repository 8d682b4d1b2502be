import {
  BeforeApplicationShutdown,
  Injectable,
  Logger,
  OnApplicationBootstrap,
  OnApplicationShutdown,
} from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, EntityManager } from 'typeorm';
import { ShutdownState } from '../common/shutdown-state';
import { PgListener } from '../database/pg-listener';
import { isLiveEventName, LIVE_CHANNEL, LiveEventName } from './live-event';
import { LiveEventsRepository } from './live-events.repository';
import { LiveHub } from './live-hub';

/** How this instance's LISTEN connection shows in pg_stat_activity. */
export const LIVE_LISTENER_APPLICATION_NAME = 'regshield-live';
/** NOTIFY refuses payloads of 8000 bytes or more; what is left is the envelope's. */
const MAX_PAYLOAD_BYTES = 7900;

/**
 * The console's events, across instances. `publish` sends an event through PostgreSQL's NOTIFY on the
 * `regshield_live` channel; every instance LISTENs there and hands what arrives to its LiveHub, which sends it
 * to the console pages connected to that instance. Ban and sign-up events are sent by row triggers (migration
 * LiveConsoleNotifications); features call `publish` for the others, e.g. SIP account alerts:
 *
 *     await liveEvents.publish('account_alert', { id, username, kind, created_at }, tx);
 *
 * Inside a transaction (`tx`) the event leaves when it commits, never for a change rolled back.
 */
@Injectable()
export class LiveEvents implements OnApplicationBootstrap, BeforeApplicationShutdown, OnApplicationShutdown {
  private readonly logger = new Logger(LiveEvents.name);
  readonly hub = new LiveHub();
  private readonly listener: PgListener;

  constructor(
    private readonly repository: LiveEventsRepository,
    shutdown: ShutdownState,
    @InjectDataSource() dataSource: DataSource,
  ) {
    this.listener = new PgListener({
      connectionString: (dataSource.options as { url: string }).url,
      channels: [LIVE_CHANNEL],
      applicationName: LIVE_LISTENER_APPLICATION_NAME,
      onNotification: (_, payload) => this.receive(payload),
      // Events sent while the connection was down are lost: the pages reconnect and read everything again.
      onReconnect: () => this.hub.closeAll('resync'),
      onWarning: (message) => this.logger.warn(message),
    });
    // A stream never ends by itself: the HTTP drain would wait for it until its timeout.
    shutdown.onDraining(() => this.hub.closeAll('shutdown'));
  }

  async onApplicationBootstrap(): Promise<void> {
    await this.listener.start();
  }

  beforeApplicationShutdown(): void {
    this.hub.closeAll('shutdown');
  }

  async onApplicationShutdown(): Promise<void> {
    await this.listener.stop();
  }

  /**
   * Sends the event to every console stream of every instance (of one database). `data` must serialize to
   * JSON of under 7900 bytes: send what a page needs to show or to know what to read again, not whole records.
   */
  async publish(name: LiveEventName, data: unknown, tx?: EntityManager): Promise<void> {
    const payload = JSON.stringify({ event: name, data });
    if (Buffer.byteLength(payload) > MAX_PAYLOAD_BYTES) {
      throw new Error(`live event ${name} is ${Buffer.byteLength(payload)} bytes; at most ${MAX_PAYLOAD_BYTES}`);
    }
    await this.repository.notify(payload, tx);
  }

  /** Sends the event to this instance's streams only: a state each instance computes itself. */
  publishLocal(name: LiveEventName, data: unknown): void {
    this.hub.publish({ name, data });
  }

  private receive(payload: string | undefined): void {
    let message: unknown;
    try {
      message = JSON.parse(payload ?? '');
    } catch {
      this.logger.warn('a live notification that is not JSON was ignored');
      return;
    }
    const { event, data } = (message ?? {}) as { event?: unknown; data?: unknown };
    if (!isLiveEventName(event)) {
      this.logger.warn(`a live notification of unknown event ${String(event)} was ignored`);
      return;
    }
    this.hub.publish({ name: event, data });
  }
}
