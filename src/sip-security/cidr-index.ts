import { Cidr, formatCidr, IpAddress, parseCidr } from '../common/cidr';

/**
 * CIDRs with a value each, looked up by address: one hash map per prefix length in use, so a lookup costs
 * one mask-and-get per distinct prefix length (a handful in practice), whatever the number of entries.
 * The most specific matching entry wins.
 */
export class CidrIndex<T> {
  private readonly byFamily = {
    ipv4: new Map<number, Map<string, T>>(),
    ipv6: new Map<number, Map<string, T>>(),
  };
  private prefixes = { ipv4: [] as number[], ipv6: [] as number[] };

  constructor(entries: Iterable<[string | Cidr, T]> = []) {
    for (const [cidr, value] of entries) {
      this.add(typeof cidr === 'string' ? parseCidr(cidr) : cidr, value);
    }
  }

  get size(): number {
    let total = 0;
    for (const family of Object.values(this.byFamily)) {
      for (const map of family.values()) total += map.size;
    }
    return total;
  }

  private add(cidr: Cidr, value: T): void {
    const family = this.byFamily[cidr.address.kind()];
    let map = family.get(cidr.prefix);
    if (!map) {
      map = new Map();
      family.set(cidr.prefix, map);
      // Longest prefix first: the first hit is the most specific entry.
      this.prefixes[cidr.address.kind()] = [...family.keys()].sort((a, b) => b - a);
    }
    map.set(formatCidr(cidr), value);
  }

  /** Every entry covering the address, most specific first. */
  *matches(address: IpAddress): Generator<T> {
    const kind = address.kind();
    const family = this.byFamily[kind];
    for (const prefix of this.prefixes[kind]) {
      const value = family.get(prefix)!.get(`${maskedAddress(address, prefix)}/${prefix}`);
      if (value !== undefined) yield value;
    }
  }

  find(address: IpAddress): T | undefined {
    return this.matches(address).next().value ?? undefined;
  }
}

function maskedAddress(address: IpAddress, prefix: number): string {
  return formatCidr(parseCidr(`${address.toString()}/${prefix}`)).split('/')[0];
}
