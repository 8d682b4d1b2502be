import { Cidr, IpAddress, parseCidr } from '../common/cidr';

type Family = 'ipv4' | 'ipv6';

/**
 * CIDRs with a value each, looked up by address: one hash map per prefix length in use, so a lookup costs
 * one mask-and-get per distinct prefix length (a handful in practice), whatever the number of entries.
 * The most specific matching entry wins. Keys are the masked address bytes, so neither building nor
 * looking up parses or formats addresses as text.
 */
export class CidrIndex<T> {
  private readonly byPrefix: Record<Family, Map<number, Map<string, T>>> = { ipv4: new Map(), ipv6: new Map() };
  /** Longest prefix first: the first hit is the most specific entry. */
  private readonly prefixes: Record<Family, number[]> = { ipv4: [], ipv6: [] };
  private held = 0;

  constructor(entries: Iterable<[string | Cidr, T]> = []) {
    this.add(entries);
  }

  /** An entry on a CIDR already present replaces it. */
  add(entries: Iterable<[string | Cidr, T]>): void {
    for (const [text, value] of entries) {
      const cidr = typeof text === 'string' ? parseCidr(text) : text;
      const family = cidr.address.kind();
      let map = this.byPrefix[family].get(cidr.prefix);
      if (!map) {
        map = new Map();
        this.byPrefix[family].set(cidr.prefix, map);
      }
      const key = maskedKey(cidr.address.toByteArray(), cidr.prefix);
      if (!map.has(key)) this.held += 1;
      map.set(key, value);
    }
    for (const family of ['ipv4', 'ipv6'] as const) {
      this.prefixes[family] = [...this.byPrefix[family].keys()].sort((a, b) => b - a);
    }
  }

  /** Distinct CIDRs held. */
  get size(): number {
    return this.held;
  }

  /** Every entry covering the address, most specific first. */
  *matches(address: IpAddress): Generator<T> {
    const family = address.kind();
    const bytes = address.toByteArray();
    for (const prefix of this.prefixes[family]) {
      const value = this.byPrefix[family].get(prefix)!.get(maskedKey(bytes, prefix));
      if (value !== undefined) yield value;
    }
  }

  find(address: IpAddress): T | undefined {
    const first = this.matches(address).next();
    return first.done ? undefined : first.value;
  }
}

/** The first `prefix` bits of the address, as a string key (the host bits are left out, not zeroed). */
function maskedKey(bytes: number[], prefix: number): string {
  const whole = prefix >> 3;
  const rest = prefix & 7;
  let key = String.fromCharCode(...bytes.slice(0, whole));
  if (rest !== 0) {
    key += String.fromCharCode(bytes[whole] & (0xff << (8 - rest)) & 0xff);
  }
  return key;
}
