/**
 * The counts and the bans are read again on the same beat, so the page never shows a ban beside counts
 * older than it (a 30 s and a 60 s beat once showed a banned source missing from the top sources).
 */
export const SIP_REFRESH_MS = 15_000;
