/** No retry waits longer than this, however many attempts failed before. */
export const MAX_RETRY_DELAY_MS = 3_600_000;

/**
 * How long to wait after the `attempt`-th failed attempt (1-based): the base doubled per attempt, capped,
 * then "equal jitter" (half fixed, half random) so that instances and messages failing together during an
 * outage do not retry in lockstep when the server comes back.
 */
export function retryDelayMs(attempt: number, baseMs: number, random: () => number = Math.random): number {
  const exponential = Math.min(baseMs * 2 ** Math.min(attempt - 1, 30), MAX_RETRY_DELAY_MS);
  return Math.round(exponential / 2 + random() * (exponential / 2));
}
