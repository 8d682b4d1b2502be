import { IncomingMessage, Server, ServerResponse } from 'node:http';
import { Server as NetServer, Socket } from 'node:net';

/**
 * While draining, the server stops listening and closes its keep-alive connections once nothing has
 * happened on any of them (no connection accepted, no response finished) for this long: no client is then
 * in the middle of sending a request or connecting.
 */
const QUIET_MS = 300;
const POLL_MS = 50;

interface Connection {
  /** The response being produced on it, if a request is in flight. */
  response?: ServerResponse;
}

/**
 * Lets the HTTP server stop without cutting a request. Node's server.close() (what Fastify's close() calls)
 * destroys every idle keep-alive connection at once, so a client that had just sent its next request on one
 * gets a reset instead of an answer. Draining lets the requests in flight finish, each answered with
 * `Connection: close`, and once no request is left and all is quiet for a moment, stops listening and
 * closes the remaining idle connections. Requests arriving meanwhile get 503 from the adapter
 * (`return503OnClosing`, see app.factory.ts), so the drain ends even under load.
 */
export class HttpDrain {
  private readonly connections = new Map<Socket, Connection>();
  private draining = false;
  private lastActivity = Date.now();

  constructor(private readonly server: Server) {
    server.on('connection', (socket: Socket) => {
      this.connections.set(socket, {});
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
        this.lastActivity = Date.now();
      });
    });
  }

  /** Resolves once no connection is left, or after timeoutMs with those still open destroyed. */
  async drain(timeoutMs: number): Promise<void> {
    this.draining = true;
    for (const { response } of this.connections.values()) {
      if (response && !response.headersSent) response.setHeader('Connection', 'close');
    }
    const deadline = Date.now() + timeoutMs;
    while (!this.settled() && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, POLL_MS));
    }
    // net.Server's close only stops accepting: http.Server's would also drop idle connections at once.
    NetServer.prototype.close.call(this.server);
    for (const [socket, connection] of this.connections) {
      if (connection.response) socket.destroy();
      else socket.end();
    }
  }

  /** How many connections are open (for the shutdown log line). */
  get openConnections(): number {
    return this.connections.size;
  }

  /** No request in flight, and quiet long enough to close every connection without a race. */
  private settled(): boolean {
    if (Date.now() - this.lastActivity < QUIET_MS) return false;
    for (const connection of this.connections.values()) {
      if (connection.response) return false;
    }
    return true;
  }
}
