import * as net from 'node:net';

/**
 * A byte relay between two stream sockets, each a TCP `host:port` or a Unix socket path. `npm run bench:sip`
 * runs in a network namespace of its own (bench/network-namespace.ts), where the machine's PostgreSQL on
 * 127.0.0.1 cannot be reached; a Unix socket path can, as the file system is shared. So the bench relays
 * TCP (inside) → a Unix socket → TCP (outside, DATABASE_URL's host and port): PostgreSQL sees a TCP client
 * from its usual address and applies the same authentication as without the namespace.
 *
 * As a program: `node dist/bench/socket-relay.js <listen> <target>`; it prints `ready` once it listens.
 */
export type SocketAddress = string;

function endpoint(address: SocketAddress): net.ListenOptions & net.NetConnectOpts {
  const port = /^(.*):(\d+)$/.exec(address);
  if (!port || address.startsWith('/')) return { path: address };
  return { host: port[1].replace(/^\[|\]$/g, ''), port: Number(port[2]) };
}

export function startRelay(listen: SocketAddress, target: SocketAddress): Promise<net.Server> {
  const server = net.createServer((incoming) => {
    incoming.setNoDelay(true);
    const outgoing = net.connect(endpoint(target));
    outgoing.setNoDelay(true);
    incoming.pipe(outgoing).pipe(incoming);
    const close = () => {
      incoming.destroy();
      outgoing.destroy();
    };
    incoming.on('error', close).on('close', close);
    outgoing.on('error', close).on('close', close);
  });
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(endpoint(listen), () => resolve(server));
  });
}

if (require.main === module) {
  const [listen, target] = process.argv.slice(2);
  startRelay(listen, target).then(
    () => process.stdout.write('ready\n'),
    (error: unknown) => {
      process.stderr.write(`${String(error)}\n`);
      process.exit(1);
    },
  );
}
