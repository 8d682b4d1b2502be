import { BanSnapshot } from './ban-index.service';

/**
 * The bans as the proxy holds them (deploy/kamailio/kamailio.cfg, htables `ipban` and `regshield`, and the
 * views `regshield_proxy_host_bans` / `regshield_proxy_state` that load them at its start): a banned address
 * is an exact key (what a lookup of the source address finds in O(1)); every wider CIDR joins one comma list
 * matched with ipops' is_in_subnet, as does the allowlist.
 */
export interface ProxyBanState {
  /** Address (as the proxy prints a source) → expiry in ms since the epoch; null: until lifted. */
  hostBans: Map<string, number | null>;
  wideBans: string;
  allowlist: string;
}

export const PROXY_TABLES = {
  hostBans: 'ipban',
  state: 'regshield',
} as const;

export const PROXY_STATE_KEYS = {
  allowlist: 'allowlist',
  wideBans: 'wide_bans',
  /** SIP_DECOY_USERNAMES as a comma list: the proxy writes a `decoy` door knock for a REGISTER or INVITE naming one. */
  decoys: 'decoys',
  /** Set by the service with a short expiry on every heartbeat; FAIL_CLOSED proxies refuse traffic without it. */
  alive: 'service_alive',
  /** Set after a full sync; its absence tells the service that the proxy restarted. */
  syncedBy: 'synced_by',
} as const;

/** Bans in force at `now`, in the proxy's shape. PostgreSQL's CIDR text is `addr/len`, compressed IPv6 as the proxy prints it. */
export function proxyBanState(snapshot: BanSnapshot, now: number): ProxyBanState {
  const hostBans = new Map<string, number | null>();
  const wide = new Set<string>();
  for (const ban of snapshot.bans) {
    const expiresAt = ban.expiresAt === null ? null : ban.expiresAt.getTime();
    if (expiresAt !== null && expiresAt <= now) continue;
    const [address, prefix] = ban.cidr.split('/');
    const hostPrefix = address.includes(':') ? '128' : '32';
    if (prefix !== hostPrefix) {
      wide.add(ban.cidr);
      continue;
    }
    const known = hostBans.get(address);
    // Of two bans on one address, the one lasting longer decides.
    if (known === undefined || (known !== null && (expiresAt === null || expiresAt > known))) {
      hostBans.set(address, expiresAt);
    }
  }
  return { hostBans, wideBans: [...wide].sort().join(','), allowlist: [...snapshot.allowlist].sort().join(',') };
}
