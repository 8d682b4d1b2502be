import { Agent, request } from 'node:https';
import { IncomingHttpHeaders } from 'node:http';

export interface Reply {
  status: number;
  headers: IncomingHttpHeaders;
  text: string;
  /** The body parsed as JSON, or undefined when it is not JSON. */
  json: unknown;
}

export type Send = (
  method: 'GET' | 'POST',
  path: string,
  options?: { headers?: Record<string, string>; body?: unknown },
) => Promise<Reply>;

/**
 * An HTTPS client that connects from a chosen loopback address (all of 127.0.0.0/8 is local on Linux), so
 * that the balancer sees distinct clients without leaving the machine. Keep-alive like a browser.
 */
export function httpsClientFrom(localAddress: string, port: number, ca: string): { send: Send; close(): void } {
  const agent = new Agent({ keepAlive: true, ca, localAddress, maxSockets: 16 });
  const send: Send = (method, path, { headers = {}, body } = {}) =>
    new Promise((done, fail) => {
      const payload = body === undefined ? undefined : JSON.stringify(body);
      const outgoing = request(
        {
          host: '127.0.0.1',
          port,
          method,
          path,
          agent,
          headers: payload === undefined ? headers : { 'Content-Type': 'application/json', ...headers },
        },
        (incoming) => {
          let text = '';
          incoming.setEncoding('utf8');
          incoming.on('data', (chunk: string) => (text += chunk));
          incoming.once('error', fail);
          incoming.once('end', () => {
            let json: unknown;
            try {
              json = JSON.parse(text);
            } catch {
              json = undefined;
            }
            done({ status: incoming.statusCode ?? 0, headers: incoming.headers, text, json });
          });
        },
      );
      outgoing.once('error', fail);
      outgoing.end(payload);
    });
  return { send, close: () => agent.destroy() };
}
