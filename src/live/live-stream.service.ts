import { Injectable, ServiceUnavailableException, UnauthorizedException } from '@nestjs/common';
import { ServerResponse } from 'node:http';
import { AccessTokenService } from '../auth/access-token.service';
import { ShutdownState } from '../common/shutdown-state';
import { LiveEvents } from './live-events.service';
import { LiveCloseReason } from './live-hub';
import { NumberedLiveEvent } from './live-event';

/**
 * A comment line this often keeps the connection busy: balancers and proxies close a connection idle for their
 * timeout (deploy/haproxy: `timeout client/server 30s`), and the page treats a silence of twice this as a broken
 * connection. Each beat also checks the token again, so a sign-out or a demotion ends the stream within it.
 */
export const HEARTBEAT_MS = 15_000;
/** Unsent bytes a stream may hold before its client counts as not reading (LiveHub ends it). */
const MAX_UNSENT_BYTES = 1024 * 1024;
/** What the browser waits before reconnecting after an end it did not ask for (the page has its own backoff). */
const RETRY_MS = 2000;
/** setTimeout's longest delay; a longer-lived token is told to reauthenticate early, which costs one refresh. */
const MAX_TIMER_MS = 2 ** 31 - 1;

export interface LiveStreamOwner {
  token: string;
  /** When the access token expires: the stream ends then with `event: reauth`. */
  expiresAtMs: number;
}

/**
 * One console stream per request: the SSE response, fed by LiveHub, with heartbeats, and ended with
 * `event: reauth` when the access token expires or stops being a superuser's, so that the page gets a new
 * token and reconnects (a stream outliving its token would be a session without end).
 */
@Injectable()
export class LiveStreamService {
  constructor(
    private readonly events: LiveEvents,
    private readonly tokens: AccessTokenService,
    private readonly shutdown: ShutdownState,
  ) {}

  /** Throws 503 while the instance drains (the page retries, through the balancer, elsewhere). */
  assertAccepting(): void {
    if (this.shutdown.draining) throw new ServiceUnavailableException('Shutting down, try again');
  }

  open(response: ServerResponse, owner: LiveStreamOwner): void {
    response.writeHead(200, {
      'Content-Type': 'text/event-stream; charset=utf-8',
      'Cache-Control': 'no-store, no-transform',
      // nginx would otherwise buffer the stream (HAProxy does not).
      'X-Accel-Buffering': 'no',
      'X-Content-Type-Options': 'nosniff',
      // A connection that carried a stream is not worth keeping: the page opens the next one much later.
      Connection: 'close',
    });
    response.write(`retry: ${RETRY_MS}\n: connected\n\n`);
    let ended = false;
    // Replaced once subscribed; end() may run during the subscription itself (a replay the client cannot take).
    let unsubscribe = (): void => undefined;
    const end = (closing?: string) => {
      if (ended) return;
      ended = true;
      clearInterval(heartbeat);
      clearTimeout(expiry);
      unsubscribe();
      if (closing !== undefined && response.writable) response.write(closing);
      response.end();
    };
    const reauth = (reason: string) => end(frame('reauth', undefined, { reason }));
    const heartbeat = setInterval(() => {
      response.write(': keepalive\n\n');
      this.tokens.authenticateSession(owner.token).then(
        ({ user }) => {
          if (!user.isSuperuser) reauth('not_superuser');
        },
        (error: unknown) => {
          // A database outage is no reason to end a stream that still works (its status event says so).
          if (error instanceof UnauthorizedException) reauth('token_invalid');
        },
      );
    }, HEARTBEAT_MS);
    const expiry = setTimeout(
      () => reauth('token_expired'),
      Math.min(MAX_TIMER_MS, Math.max(0, owner.expiresAtMs - Date.now())),
    );
    unsubscribe = this.events.hub.subscribe({
      deliver: (event: NumberedLiveEvent) => {
        if (ended) return true;
        response.write(frame(event.name, event.id, event.data));
        return response.writableLength <= MAX_UNSENT_BYTES;
      },
      close: (reason: LiveCloseReason) => end(`: closed (${reason})\n\n`),
    });
    if (ended) unsubscribe();
    response.once('close', () => end());
  }
}

function frame(name: string, id: number | undefined, data: unknown): string {
  return `${id === undefined ? '' : `id: ${id}\n`}event: ${name}\ndata: ${JSON.stringify(data ?? null)}\n\n`;
}
