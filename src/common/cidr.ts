import ipaddr from 'ipaddr.js';
import { buildMessage, ValidateBy } from 'class-validator';

export type IpAddress = ipaddr.IPv4 | ipaddr.IPv6;

export interface Cidr {
  address: IpAddress;
  prefix: number;
}

/**
 * Parses an IPv4 or IPv6 address; an IPv4-mapped IPv6 address (::ffff:1.2.3.4, as dual-stack sockets
 * report IPv4 peers) becomes the IPv4 address so that one client never counts as two.
 */
export function parseIp(text: string): IpAddress {
  const trimmed = text.trim();
  if (!isIp(trimmed)) {
    throw new Error(`"${text}" is not an IP address`);
  }
  const address = ipaddr.parse(trimmed);
  if (address.kind() === 'ipv6' && (address as ipaddr.IPv6).isIPv4MappedAddress()) {
    return (address as ipaddr.IPv6).toIPv4Address();
  }
  return address;
}

/**
 * Dotted-quad IPv4 or IPv6 without a zone id: what PostgreSQL's inet takes. (ipaddr.js alone would also
 * take legacy forms such as `1.2.3` or `0x7f.1`.)
 */
export function isIp(text: string): boolean {
  const trimmed = text.trim();
  return ipaddr.IPv4.isValidFourPartDecimal(trimmed) || (ipaddr.IPv6.isValid(trimmed) && !trimmed.includes('%'));
}

/** Parses `a.b.c.d/n`, `x::y/n` or a bare address (a /32 or /128); host bits are cleared. */
export function parseCidr(text: string): Cidr {
  const trimmed = text.trim();
  const slash = trimmed.indexOf('/');
  const address = parseIp(slash === -1 ? trimmed : trimmed.slice(0, slash));
  const maxPrefix = address.kind() === 'ipv4' ? 32 : 128;
  let prefix = maxPrefix;
  if (slash !== -1) {
    const prefixText = trimmed.slice(slash + 1);
    if (!/^\d{1,3}$/.test(prefixText) || Number(prefixText) > maxPrefix) {
      throw new Error(`"${text}" has an invalid prefix length`);
    }
    prefix = Number(prefixText);
  }
  return { address: networkAddress(address, prefix), prefix };
}

export function parseCidrList(list: string[]): Cidr[] {
  return list.map(parseCidr);
}

export function isCidr(text: string): boolean {
  try {
    parseCidr(text);
    return true;
  } catch {
    return false;
  }
}

export function formatCidr(cidr: Cidr): string {
  return `${cidr.address.toString()}/${cidr.prefix}`;
}

/** The canonical text of an address, as stored and compared (`::ffff:1.2.3.4` → `1.2.3.4`). */
export function normalizeIp(text: string): string {
  return parseIp(text).toString();
}

/** The canonical text of a CIDR, host bits cleared (`192.0.2.77/24` → `192.0.2.0/24`). */
export function normalizeCidr(text: string): string {
  return formatCidr(parseCidr(text));
}

function networkAddress(address: IpAddress, prefix: number): IpAddress {
  const bytes = address.toByteArray();
  for (let bit = prefix; bit < bytes.length * 8; bit++) {
    bytes[bit >> 3] &= ~(0x80 >> (bit & 7));
  }
  return ipaddr.fromByteArray(bytes);
}

/** class-validator: an IPv4 or IPv6 address PostgreSQL's inet accepts (no zone id). */
export const IsIpAddress = () =>
  ValidateBy({
    name: 'isIpAddress',
    validator: {
      validate: (value: unknown) => typeof value === 'string' && isIp(value),
      defaultMessage: buildMessage((prefix) => `${prefix}$property must be an IPv4 or IPv6 address`),
    },
  });

/** class-validator: a CIDR (or a single address) as parseCidr reads it. */
export const IsCidr = () =>
  ValidateBy({
    name: 'isCidr',
    validator: {
      validate: (value: unknown) => typeof value === 'string' && isCidr(value),
      defaultMessage: buildMessage((prefix) => `${prefix}$property must be a CIDR such as 192.0.2.0/24 or 2001:db8::/48`),
    },
  });
