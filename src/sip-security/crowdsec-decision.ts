import { BanDecision } from './bouncers.repository';

/** A decision as CrowdSec's Local API hands it to bouncers. */
export interface CrowdsecDecision {
  id: number;
  origin: 'regshield';
  type: 'ban';
  scope: 'Ip' | 'Range';
  value: string;
  duration: string;
  scenario: string;
}

/**
 * What a ban until lifted is told to last. Bouncers give firewall entries this timeout, and older kernels
 * refuse nftables timeouts beyond 2^32 ms (about 49 days), so it stays below that.
 */
export const UNTIL_LIFTED_DURATION_SECONDS = 40 * 24 * 3600;

/** A single address is scope `Ip` with the bare address as value; anything wider is a `Range` CIDR. */
export function toCrowdsecDecision(ban: BanDecision): CrowdsecDecision {
  const [address, prefix] = ban.cidr.split('/');
  const single = prefix === (address.includes(':') ? '128' : '32');
  const seconds =
    ban.secondsLeft === null ? UNTIL_LIFTED_DURATION_SECONDS : Math.min(ban.secondsLeft, UNTIL_LIFTED_DURATION_SECONDS);
  return {
    id: Number(ban.id),
    origin: 'regshield',
    type: 'ban',
    scope: single ? 'Ip' : 'Range',
    value: single ? address : ban.cidr,
    duration: goDuration(Math.max(0, seconds)),
    scenario: ban.reason,
  };
}

/** Go's time.Duration text (what bouncers parse): 3600 → "1h0m0s". */
export function goDuration(totalSeconds: number): string {
  const hours = Math.floor(totalSeconds / 3600);
  const minutes = Math.floor((totalSeconds % 3600) / 60);
  const seconds = totalSeconds % 60;
  if (hours > 0) return `${hours}h${minutes}m${seconds}s`;
  if (minutes > 0) return `${minutes}m${seconds}s`;
  return `${seconds}s`;
}
