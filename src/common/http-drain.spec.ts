import { Agent, createServer, request, Server } from 'node:http';
import { AddressInfo } from 'node:net';
import { HttpDrain } from './http-drain';

/** One request over the agent's kept-alive socket: its status and Connection header, or the socket error. */
function send(port: number, agent: Agent): Promise<{ status: number; connection?: string } | { error: string }> {
  return new Promise((resolve) => {
    const outgoing = request({ port, host: '127.0.0.1', path: '/', method: 'POST', agent }, (response) => {
      response.resume();
      response.on('end', () => resolve({ status: response.statusCode!, connection: response.headers.connection }));
    });
    outgoing.on('error', (error: NodeJS.ErrnoException) => resolve({ error: error.code ?? error.message }));
    outgoing.end('{}');
  });
}

const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** A real HTTP server and client on loopback: the drain's promises are about sockets, which fakes would not show. */
describe('HttpDrain', () => {
  let server: Server;
  let drain: HttpDrain;
  let port: number;
  let agent: Agent;

  beforeEach(async () => {
    server = createServer((_request, response) => response.end('ok'));
    drain = new HttpDrain(server);
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    port = (server.address() as AddressInfo).port;
    agent = new Agent({ keepAlive: true, maxSockets: 1 });
  });

  afterEach(async () => {
    agent.destroy();
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  });

  it('answers a client that reuses its kept-alive socket a second after the drain began', async () => {
    expect(await send(port, agent)).toEqual({ status: 200, connection: 'keep-alive' });
    const drained = drain.drain(10_000);
    // A client busy elsewhere (a starved event loop) sends its next request on the socket it was left with.
    await pause(1000);
    expect(await send(port, agent)).toEqual({ status: 200, connection: 'close' });
    await drained;
    expect(drain.openConnections).toBe(0);
  });

  it('closes a socket that was told to close without waiting for its idle grace', async () => {
    expect(await send(port, agent)).toEqual({ status: 200, connection: 'keep-alive' });
    const started = Date.now();
    const drained = drain.drain(10_000);
    expect(await send(port, agent)).toEqual({ status: 200, connection: 'close' });
    await drained;
    expect(Date.now() - started).toBeLessThan(5_000);
  });

  it('ends a kept-alive socket left idle once its grace is over, well before the timeout', async () => {
    expect(await send(port, agent)).toEqual({ status: 200, connection: 'keep-alive' });
    const started = Date.now();
    await drain.drain(30_000);
    expect(Date.now() - started).toBeGreaterThanOrEqual(2_000);
    expect(Date.now() - started).toBeLessThan(10_000);
    expect(server.listening).toBe(false);
  });
});
