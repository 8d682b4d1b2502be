import { BanEvidence } from '../database/entities/sip-ban.entity';
import { UnitActivity } from './sip-bans.repository';

/** The kind a failed registration has in `BanEvidence.counts`; every other kind is a door knock's reason. */
export const FAILED_REGISTRATION_KIND = 'failed_registration';

/**
 * An automatic ban's reason, in words that say which rule fired on what: "decoy username 'admin' touched",
 * "7 failed registrations for 1 username within 600 s", "5 door knocks (username_sweep ×5) for 5 usernames
 * within 60 s". `previousAutomaticBans` > 0 adds the ban's rank ("; ban #3").
 */
export function automaticBanReason(evidence: BanEvidence, previousAutomaticBans: number): string {
  const repeat = previousAutomaticBans > 0 ? `; ban #${previousAutomaticBans + 1}` : '';
  if (evidence.rule === 'decoy') {
    return `decoy username '${evidence.decoyUsername}' touched${repeat}`;
  }
  const parts: string[] = [];
  if (evidence.failedRegistrations > 0) {
    parts.push(plural(evidence.failedRegistrations, 'failed registration'));
  }
  if (evidence.doorKnocks > 0) {
    parts.push(`${plural(evidence.doorKnocks, 'door knock')} (${knockReasons(evidence.counts)})`);
  }
  const usernames = evidence.distinctUsernames > 0 ? ` for ${plural(evidence.distinctUsernames, 'username')}` : '';
  return `${parts.join(' and ')}${usernames} within ${evidence.findTimeSeconds} s${repeat}`;
}

/** "unknown_domain ×3, flood": most frequent first, the count only when above one. */
function knockReasons(counts: Record<string, number>): string {
  return Object.entries(counts)
    .filter(([kind]) => kind !== FAILED_REGISTRATION_KIND)
    .sort(([a, m], [b, n]) => n - m || a.localeCompare(b))
    .map(([kind, count]) => (count > 1 ? `${kind} ×${count}` : kind))
    .join(', ');
}

function plural(count: number, noun: string): string {
  return `${count} ${noun}${count === 1 ? '' : 's'}`;
}

/** No event found for the unit (its only events predate its window): the evidence still names the rule. */
const NO_ACTIVITY: UnitActivity = {
  counts: {},
  failedRegistrations: 0,
  doorKnocks: 0,
  firstEventAt: null,
  lastEventAt: null,
  distinctUsernames: 0,
  usernames: [],
  userAgents: [],
  truncated: false,
};

/** The evidence of an automatic ban: the rule that fired (a decoy touch wins over the count) and what was seen. */
export function automaticBanEvidence(
  decoyUsername: string | undefined,
  activity: UnitActivity | undefined,
  settings: { maxRetry: number; findTimeSeconds: number },
): BanEvidence {
  return {
    rule: decoyUsername === undefined ? 'max_retry' : 'decoy',
    decoyUsername: decoyUsername ?? null,
    maxRetry: settings.maxRetry,
    findTimeSeconds: settings.findTimeSeconds,
    ...(activity ?? NO_ACTIVITY),
  };
}
