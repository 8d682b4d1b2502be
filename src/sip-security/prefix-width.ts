import { Cidr, formatCidr } from '../common/cidr';

export interface MinimumPrefixes {
  ipv4: number;
  ipv6: number;
}

/**
 * Bans and allowlist entries wider than the configured minimum prefix (SIP_MIN_PREFIX_IPV4/IPV6) are
 * refused unless the request says `"force": true`: `128.0.0.0/1` would ban half the world, and an
 * allowlisted `0.0.0.0/0` would hide every ban. Returns why the CIDR is too wide, or undefined.
 *
 * `written` is the CIDR as the caller typed it: `10.0.0.0/4` is the network `0.0.0.0/4`, and a message
 * naming only the network would not be recognised as the caller's own input.
 */
export function prefixTooWide(cidr: Cidr, minimums: MinimumPrefixes, written?: string): string | undefined {
  const family = cidr.address.kind();
  const minimum = minimums[family];
  if (cidr.prefix >= minimum) return undefined;
  const variable = family === 'ipv4' ? 'SIP_MIN_PREFIX_IPV4' : 'SIP_MIN_PREFIX_IPV6';
  const network = formatCidr(cidr);
  const typed = written?.trim();
  const named = typed !== undefined && typed !== network ? `${typed} (the network ${network})` : network;
  return `cidr ${named} is wider than the minimum prefix /${minimum} (${variable}); send "force": true to take it anyway`;
}
