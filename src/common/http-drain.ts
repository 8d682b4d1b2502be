import { IncomingMessage, Server, ServerResponse } from 'node:http';
import { Server as NetServer, Socket } from 'node:net';

/**
 * While draining, a connection whose last response said `Connection: close` is ended once it has been idle
 * this long (its client is not going to use it), and the server stops listening once nothing has happened
 * for this long (no client is in the middle of connecting).
 */
const QUIET_MS = 300;
/**
 * A kept-alive connection whose last response came before the drain began was never told to close, and a
 * connection just accepted has not carried its request yet: the client may send on it at any moment, and one
 * busy elsewhere (a starved event loop, a loaded machine) may take a while. Ending the socket under that request would fail it without an answer, so
 * such a connection gets this long idle before it is ended; a request that does come is answered with
 * `Connection: close` (or a 503 from the adapter) instead.
 */
const KEEP_ALIVE_GRACE_MS = 2_000;
const POLL_MS = 50;

interface Connection {
  /** The response being produced on it, if a request is in flight. */
  response?: ServerResponse;
  /** When its last response ended, or when it was accepted. */
  idleSince: number;
  /** Whether its client may still send another request on it. */
  keptAlive: boolean;
}

/**
 * Lets the HTTP server stop without cutting a request. Node's server.close() (what Fastify's close() calls)
 * destroys every idle keep-alive connection at once, so a client that had just sent its next request on one
 * gets a reset instead of an answer. Draining lets the requests in flight finish, each answered with
 * `Connection: close`, ends each idle connection once its client can no longer be about to use it, and once
 * no connection is left and all is quiet for a moment, stops listening. Requests arriving meanwhile get 503
 * from the adapter (`return503OnClosing`, see app.factory.ts), so the drain ends even under load.
 */
export class HttpDrain {
  private readonly connections = new Map<Socket, Connection>();
  private draining = false;
  private lastActivity = Date.now();

  constructor(private readonly server: Server) {
    server.on('connection', (socket: Socket) => {
      this.connections.set(socket, { idleSince: Date.now(), keptAlive: true });
      this.lastActivity = Date.now();
      socket.once('close', () => this.connections.delete(socket));
    });
    // First in line, before the application's handler can finish a response.
    server.prependListener('request', (request: IncomingMessage, response: ServerResponse) => {
      const connection = this.connections.get(request.socket);
      if (!connection) return;
      connection.response = response;
      if (this.draining) response.setHeader('Connection', 'close');
      response.once('close', () => {
        if (connection.response === response) connection.response = undefined;
        connection.idleSince = Date.now();
        connection.keptAlive = response.shouldKeepAlive;
        this.lastActivity = Date.now();
      });
    });
  }

  /** Resolves once every connection is ended, or after timeoutMs with those still busy destroyed. */
  async drain(timeoutMs: number): Promise<void> {
    this.draining = true;
    for (const { response } of this.connections.values()) {
      if (response && !response.headersSent) response.setHeader('Connection', 'close');
    }
    const deadline = Date.now() + timeoutMs;
    while (!this.settled() && Date.now() < deadline) {
      this.endIdleConnections();
      await new Promise((resolve) => setTimeout(resolve, POLL_MS));
    }
    // net.Server's close only stops accepting: http.Server's would also drop idle connections at once.
    NetServer.prototype.close.call(this.server);
    for (const [socket, connection] of this.connections) {
      if (connection.response || socket.writableEnded) socket.destroy();
      else socket.end();
    }
  }

  /** How many connections are open (for the shutdown log line). */
  get openConnections(): number {
    return this.connections.size;
  }

  private endIdleConnections(): void {
    const now = Date.now();
    for (const [socket, connection] of this.connections) {
      if (connection.response || socket.writableEnded) continue;
      const grace = connection.keptAlive ? KEEP_ALIVE_GRACE_MS : QUIET_MS;
      if (now - connection.idleSince >= grace) socket.end();
    }
  }

  /** Every connection idle and ended, and quiet long enough that no client is in the middle of connecting. */
  private settled(): boolean {
    for (const [socket, connection] of this.connections) {
      if (connection.response || !socket.writableEnded) return false;
    }
    return Date.now() - this.lastActivity >= QUIET_MS;
  }
}
