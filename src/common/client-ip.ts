import { createParamDecorator, ExecutionContext } from '@nestjs/common';
import { FastifyRequest } from 'fastify';
import type { TrustProxySetting } from '../config/app-config';
import { isIp, normalizeIp } from './cidr';

/** Fastify's `trustProxy` option: which hops of X-Forwarded-For (0 = the socket peer) are proxies. */
export type TrustProxyOption = false | string[] | ((address: string, hop: number) => boolean);

/**
 * TRUST_PROXY as Fastify must be given it. Fastify 5 treats a numeric `trustProxy` as "trust no one", so a
 * hop count becomes Express's rule for it: the socket peer and the next `hops - 1` addresses are proxies,
 * and the client is the address `hops` steps from the peer. A CIDR list is Fastify's own (proxy-addr).
 */
export function toFastifyTrustProxy(setting: TrustProxySetting): TrustProxyOption {
  if (typeof setting === 'number') {
    return (_address, hop) => hop < setting;
  }
  return setting;
}

/**
 * The client's address as the rate limits and the security log see it. Without TRUST_PROXY it is the socket
 * peer. With it, Fastify walks X-Forwarded-For from the socket peer (`request.ips`, nearest last) and
 * stops at the first address it does not trust; that entry is written by whoever sent it, so it may be
 * anything (`victim.example.org`, `999.1.1.1`). Such an entry is skipped for the nearest valid address
 * towards the socket: the hop that relayed it (and vouched for nothing more), or the socket peer itself,
 * which is always an address. So a non-address never becomes a rate-limit key or a logged `ip`, and a
 * client rotating junk is counted as the one who sent it.
 */
export function clientIp(request: Pick<FastifyRequest, 'ip'> & Partial<Pick<FastifyRequest, 'ips'>>): string {
  const hops: Array<string | undefined> = request.ips ?? [request.ip];
  for (let index = hops.length - 1; index >= 0; index--) {
    const hop = hops[index];
    if (hop !== undefined && isIp(hop)) {
      return normalizeIp(hop);
    }
  }
  // Only a request whose connection is already gone has no socket peer: there is no one left to answer.
  throw new Error('The request has no client address: its connection is closed');
}

/** The request's client address (see clientIp) as a handler parameter. */
export const ClientIp = createParamDecorator((_: unknown, context: ExecutionContext): string =>
  clientIp(context.switchToHttp().getRequest<FastifyRequest>()),
);
