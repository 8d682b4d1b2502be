import { automaticBanEvidence, automaticBanReason } from './ban-reason';
import { UnitActivity } from './sip-bans.repository';

const settings = { maxRetry: 5, findTimeSeconds: 600 };

const activity = (overrides: Partial<UnitActivity>): UnitActivity => ({
  counts: {},
  failedRegistrations: 0,
  doorKnocks: 0,
  firstEventAt: '2026-12-07T08:00:00.000Z',
  lastEventAt: '2026-12-07T08:00:05.000Z',
  distinctUsernames: 0,
  usernames: [],
  userAgents: [],
  truncated: false,
  ...overrides,
});

describe('automatic ban evidence and reasons', () => {
  it('says a decoy touch is what fired, even when the source also crossed the limit', () => {
    const evidence = automaticBanEvidence(
      'admin',
      activity({ counts: { failed_registration: 6 }, failedRegistrations: 6, distinctUsernames: 2 }),
      settings,
    );
    expect(evidence).toMatchObject({ rule: 'decoy', decoyUsername: 'admin', maxRetry: 5, findTimeSeconds: 600 });
    expect(automaticBanReason(evidence, 0)).toBe("decoy username 'admin' touched");
  });

  it('counts failed registrations and the usernames they tried', () => {
    const evidence = automaticBanEvidence(
      undefined,
      activity({ counts: { failed_registration: 7 }, failedRegistrations: 7, distinctUsernames: 1 }),
      settings,
    );
    expect(evidence.rule).toBe('max_retry');
    expect(automaticBanReason(evidence, 0)).toBe('7 failed registrations for 1 username within 600 s');
  });

  it('names the door knocks by reason, most frequent first, with both kinds together', () => {
    const evidence = automaticBanEvidence(
      undefined,
      activity({
        counts: { failed_registration: 1, unknown_domain: 1, username_sweep: 3 },
        failedRegistrations: 1,
        doorKnocks: 4,
        distinctUsernames: 5,
      }),
      settings,
    );
    expect(automaticBanReason(evidence, 0)).toBe(
      '1 failed registration and 4 door knocks (username_sweep ×3, unknown_domain) for 5 usernames within 600 s',
    );
  });

  it('leaves usernames out when none were seen (a flood), and ranks a repeat offender', () => {
    const evidence = automaticBanEvidence(undefined, activity({ counts: { flood: 5 }, doorKnocks: 5 }), settings);
    expect(automaticBanReason(evidence, 2)).toBe('5 door knocks (flood ×5) within 600 s; ban #3');
  });

  it('still names the rule when no event of the window was left to read', () => {
    const evidence = automaticBanEvidence('test', undefined, settings);
    expect(evidence).toMatchObject({ rule: 'decoy', failedRegistrations: 0, firstEventAt: null, usernames: [] });
    expect(automaticBanReason(evidence, 1)).toBe("decoy username 'test' touched; ban #2");
  });
});
