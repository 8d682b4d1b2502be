import { normalizeCidr } from '../common/cidr';

/**
 * The most entries one feed may hold: a hostile or broken feed cannot grow the ban list (and the proxy's
 * tables) without bound. APIBan lists a few thousand addresses, CrowdSec's community list about 15 000.
 */
export const MAX_FEED_ENTRIES = 100_000;

/** A feed's content once read: canonical CIDRs, each once, and what could not be taken. */
export interface FeedEntries {
  cidrs: string[];
  /** Values that are not an IP address or CIDR (or not a ban, in a decision stream). */
  invalid: number;
  /** More than MAX_FEED_ENTRIES were listed: the rest was left out. */
  truncated: boolean;
}

/** Gathers a feed's values: canonical (`192.0.2.7` → `192.0.2.7/32`), deduplicated, capped. */
export class FeedEntryCollector {
  private readonly cidrs = new Set<string>();
  private invalid = 0;
  private truncated = false;

  constructor(private readonly maxEntries = MAX_FEED_ENTRIES) {}

  /** Starts from what a feed held before (a decision stream's deltas apply to it). */
  static from(cidrs: Iterable<string>, maxEntries = MAX_FEED_ENTRIES): FeedEntryCollector {
    const collector = new FeedEntryCollector(maxEntries);
    for (const cidr of cidrs) collector.add(cidr);
    return collector;
  }

  add(value: unknown): void {
    const cidr = toCidr(value);
    if (cidr === undefined) {
      this.invalid += 1;
    } else if (this.cidrs.size >= this.maxEntries && !this.cidrs.has(cidr)) {
      this.truncated = true;
    } else {
      this.cidrs.add(cidr);
    }
  }

  remove(value: unknown): void {
    const cidr = toCidr(value);
    if (cidr === undefined) {
      this.invalid += 1;
    } else {
      this.cidrs.delete(cidr);
    }
  }

  countInvalid(): void {
    this.invalid += 1;
  }

  result(): FeedEntries {
    return { cidrs: [...this.cidrs], invalid: this.invalid, truncated: this.truncated };
  }
}

/** The longest text taken as an address (an IPv6 CIDR is at most 43 characters): longer is not one. */
const MAX_VALUE_LENGTH = 64;

function toCidr(value: unknown): string | undefined {
  if (typeof value !== 'string' || value.length > MAX_VALUE_LENGTH) return undefined;
  try {
    return normalizeCidr(value);
  } catch {
    return undefined;
  }
}
