import { useFallbackInterval } from '../live';

/**
 * The live stream marks the bans and counts stale as they change (ban_created, ban_lifted, sip_counts), so
 * the page polls only for what no event announces: a ban running out, a top source list that moves within
 * unchanged totals. Once a minute is enough for that while the stream is live; while it is down, the page
 * polls as it did before the stream, every 15 s. The counts and the bans are read on the same beat, so the
 * page never shows a ban beside counts older than it.
 */
export function useSipRefreshInterval(): number {
  return useFallbackInterval(60_000, 15_000);
}

/** The pages the stream says nothing about (feeds, bouncer keys) poll on this beat. */
export const SIP_REFRESH_MS = 15_000;
