import { parseCidr } from '../common/cidr';
import { MinimumPrefixes, prefixTooWide } from '../sip-security/prefix-width';

/** Why a listed entry is not banned: the allowlist and the width bounds win over a feed. */
export type SkipReason = 'allowlisted' | 'too_wide';

export interface EntryVerdict {
  cidr: string;
  skipped: SkipReason | null;
}

/** What a pull changes: the entries to ban, and the feed's bans whose entry left the feed (or is now skipped). */
export interface BanPlan {
  ban: string[];
  lift: string[];
}

/**
 * Each entry's verdict: wider than SIP_MIN_PREFIX_IPV4/IPV6 → `too_wide` (a feed has no `force`); overlapping
 * the allowlist (`allowlisted` holds the entries that do, as the database found them) → `allowlisted`.
 */
export function judgeEntries(
  cidrs: string[],
  allowlisted: ReadonlySet<string>,
  minimums: MinimumPrefixes,
): EntryVerdict[] {
  return cidrs.map((cidr) => {
    if (prefixTooWide(parseCidr(cidr), minimums) !== undefined) return { cidr, skipped: 'too_wide' };
    if (allowlisted.has(cidr)) return { cidr, skipped: 'allowlisted' };
    return { cidr, skipped: null };
  });
}

/** The feed's active bans against its entries now: ban what is new, lift what left or is skipped now. */
export function planFeedBans(verdicts: EntryVerdict[], activeBans: Iterable<string>): BanPlan {
  const wanted = new Set(verdicts.filter((verdict) => verdict.skipped === null).map((verdict) => verdict.cidr));
  const active = new Set(activeBans);
  return {
    ban: [...wanted].filter((cidr) => !active.has(cidr)),
    lift: [...active].filter((cidr) => !wanted.has(cidr)),
  };
}

export interface SkipCounts {
  allowlisted: number;
  too_wide: number;
}

export function countSkipped(verdicts: EntryVerdict[]): SkipCounts {
  const counts: SkipCounts = { allowlisted: 0, too_wide: 0 };
  for (const { skipped } of verdicts) if (skipped !== null) counts[skipped] += 1;
  return counts;
}

/**
 * A feed is stale once it has gone unpulled (no successful pull since `lastPulledAt`, or since it was
 * created) for longer than SIP_FEED_STALE_AFTER: its entries lapse then, and come back with its next pull.
 */
export function isStale(lastPulledAt: Date | null, createdAt: Date, now: Date, staleAfterSeconds: number): boolean {
  return now.getTime() - (lastPulledAt ?? createdAt).getTime() > staleAfterSeconds * 1000;
}
