import ipaddr from 'ipaddr.js';
import { buildMessage, ValidateBy } from 'class-validator';

export type IpAddress = ipaddr.IPv4 | ipaddr.IPv6;

export interface Cidr {
  address: IpAddress;
  prefix: number;
}

/** The length of the `::ffff:0:0/96` prefix that maps IPv4 into IPv6. */
const IPV4_MAPPED_PREFIX = 96;

function isIpv4Mapped(address: IpAddress): address is ipaddr.IPv6 {
  return address.kind() === 'ipv6' && (address as ipaddr.IPv6).isIPv4MappedAddress();
}

/**
 * Parses an IPv4 or IPv6 address; an IPv4-mapped IPv6 address (::ffff:1.2.3.4, as dual-stack sockets
 * report IPv4 peers) becomes the IPv4 address so that one client never counts as two (see parseCidr).
 */
export function parseIp(text: string): IpAddress {
  const address = parseIpOrUndefined(text);
  if (address === undefined) {
    throw new Error(`"${text}" is not an IP address`);
  }
  return address;
}

/**
 * parseIp for input that may well be no address (a request's path): undefined instead of an exception.
 * Dotted-quad IPv4 or IPv6 without a zone id: what PostgreSQL's inet takes (ipaddr.js alone would also take
 * legacy forms such as `1.2.3` or `0x7f.1`).
 *
 * The shape picks the parser, so that no string goes through a parser that throws for it: ipaddr.js's IPv4
 * test threw and caught an Error for every IPv6 address, and its general IPv4 parser was a tenth of a
 * check/{ip} request's own work. An IPv6 address has a colon, which no four-part decimal has.
 */
export function parseIpOrUndefined(text: string): IpAddress | undefined {
  const trimmed = text.trim();
  if (FOUR_PART_DECIMAL.test(trimmed)) {
    const octets = trimmed.split('.').map(Number);
    return octets.every((octet) => octet <= 255) ? new ipaddr.IPv4(octets) : undefined;
  }
  // Parsed once: asking isValid first parsed every IPv6 address twice.
  if (!trimmed.includes(':') || trimmed.includes('%')) return undefined;
  let address: ipaddr.IPv6;
  try {
    address = ipaddr.IPv6.parse(trimmed);
  } catch {
    return undefined;
  }
  return isIpv4Mapped(address) ? address.toIPv4Address() : address;
}

/** ipaddr.js's own test of a "four-part decimal" IPv4 address. */
const FOUR_PART_DECIMAL = /^(0|[1-9]\d*)(\.(0|[1-9]\d*)){3}$/;

/** Dotted-quad IPv4 or IPv6 without a zone id (parseIpOrUndefined's rule). */
export function isIp(text: string): boolean {
  return parseIpOrUndefined(text) !== undefined;
}

/**
 * Parses `a.b.c.d/n`, `x::y/n` or a bare address (a /32 or /128); host bits are cleared.
 *
 * IPv4-mapped IPv6 (`::ffff:a.b.c.d`) follows one rule everywhere (check/{ip}, bans, the allowlist,
 * ingest): it is IPv4. A bare mapped address is the IPv4 address; `::ffff:a.b.c.d/N` is the IPv4 CIDR
 * `a.b.c.d/(N-96)`, so `::ffff:0:0/96` is `0.0.0.0/0` and `::ffff:1.2.3.4/128` is `1.2.3.4/32`. A mapped
 * address with N < 96 is refused: such a prefix reaches outside the mapped range, and `::ffff:1.2.3.4/32`
 * almost always means `1.2.3.4/32`, not the IPv6 network `::/32`. The database reads stored addresses by
 * the same rule (`regshield_unmap_ipv4()`).
 */
export function parseCidr(text: string): Cidr {
  const trimmed = text.trim();
  const slash = trimmed.indexOf('/');
  const addressText = slash === -1 ? trimmed : trimmed.slice(0, slash);
  if (!isIp(addressText)) {
    throw new Error(`"${text}" is not an IP address or CIDR`);
  }
  const written = ipaddr.parse(addressText);
  const maxPrefix = written.kind() === 'ipv4' ? 32 : 128;
  let prefix = maxPrefix;
  if (slash !== -1) {
    const prefixText = trimmed.slice(slash + 1);
    if (!/^\d{1,3}$/.test(prefixText) || Number(prefixText) > maxPrefix) {
      throw new Error(`"${text}" has an invalid prefix length`);
    }
    prefix = Number(prefixText);
  }
  if (isIpv4Mapped(written)) {
    if (prefix < IPV4_MAPPED_PREFIX) {
      throw new Error(
        `"${text}" is IPv4-mapped: its prefix length must be 96 to 128 (::ffff:a.b.c.d/N is a.b.c.d/N-96)`,
      );
    }
    const ipv4Prefix = prefix - IPV4_MAPPED_PREFIX;
    return { address: networkAddress(written.toIPv4Address(), ipv4Prefix), prefix: ipv4Prefix };
  }
  return { address: networkAddress(written, prefix), prefix };
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

/** class-validator: a CIDR (or a single address) as parseCidr reads it; the message says what is wrong. */
export const IsCidr = () =>
  ValidateBy({
    name: 'isCidr',
    validator: {
      validate: (value: unknown) => typeof value === 'string' && isCidr(value),
      defaultMessage: buildMessage(
        (prefix, args) =>
          `${prefix}$property must be a CIDR such as 192.0.2.0/24 or 2001:db8::/48` +
          (typeof args?.value === 'string' && isIp(args.value.split('/')[0]) ? ` (${cidrProblem(args.value)})` : ''),
      ),
    },
  });

function cidrProblem(text: string): string {
  try {
    parseCidr(text);
    return 'valid';
  } catch (error) {
    return (error as Error).message;
  }
}
