import { countSkipped, isStale, judgeEntries, planFeedBans } from './feed-merge';

const MINIMUMS = { ipv4: 8, ipv6: 32 };

describe('feed merge rules', () => {
  it('bans what is new on the feed and lifts what left it', () => {
    const verdicts = judgeEntries(['203.0.113.7/32', '203.0.113.8/32'], new Set(), MINIMUMS);
    expect(planFeedBans(verdicts, ['203.0.113.8/32', '203.0.113.9/32'])).toEqual({
      ban: ['203.0.113.7/32'],
      lift: ['203.0.113.9/32'],
    });
  });

  it('changes nothing when the feed lists what is banned already', () => {
    const verdicts = judgeEntries(['203.0.113.7/32'], new Set(), MINIMUMS);
    expect(planFeedBans(verdicts, ['203.0.113.7/32'])).toEqual({ ban: [], lift: [] });
  });

  it('lets the allowlist win: an allowlisted entry is skipped, and its ban lifted once it is allowlisted', () => {
    const verdicts = judgeEntries(['127.0.0.1/32', '203.0.113.7/32'], new Set(['127.0.0.1/32']), MINIMUMS);
    expect(verdicts).toEqual([
      { cidr: '127.0.0.1/32', skipped: 'allowlisted' },
      { cidr: '203.0.113.7/32', skipped: null },
    ]);
    expect(planFeedBans(verdicts, ['127.0.0.1/32'])).toEqual({ ban: ['203.0.113.7/32'], lift: ['127.0.0.1/32'] });
  });

  it('lets the width bounds win: a range wider than the minimum prefix is skipped, never forced', () => {
    const verdicts = judgeEntries(['10.0.0.0/7', '10.0.0.0/8', '2001:db8::/31', '2001:db8::/32'], new Set(), MINIMUMS);
    expect(verdicts.map((verdict) => verdict.skipped)).toEqual(['too_wide', null, 'too_wide', null]);
    expect(planFeedBans(verdicts, [])).toEqual({ ban: ['10.0.0.0/8', '2001:db8::/32'], lift: [] });
  });

  it('counts the skipped entries by reason (a too-wide allowlisted entry counts once, as too wide)', () => {
    const verdicts = judgeEntries(
      ['0.0.0.0/0', '127.0.0.1/32', '127.0.0.2/32', '203.0.113.7/32'],
      new Set(['0.0.0.0/0', '127.0.0.1/32', '127.0.0.2/32']),
      MINIMUMS,
    );
    expect(countSkipped(verdicts)).toEqual({ allowlisted: 2, too_wide: 1 });
  });

  it('lifts every ban of a feed that lists nothing', () => {
    expect(planFeedBans([], ['203.0.113.7/32'])).toEqual({ ban: [], lift: ['203.0.113.7/32'] });
  });

  it('calls a feed stale once it has gone unpulled longer than SIP_FEED_STALE_AFTER', () => {
    const created = new Date('2026-01-01T00:00:00Z');
    const pulled = new Date('2026-01-02T00:00:00Z');
    expect(isStale(pulled, created, new Date('2026-01-03T00:00:00Z'), 86400)).toBe(false);
    expect(isStale(pulled, created, new Date('2026-01-03T00:00:01Z'), 86400)).toBe(true);
    // Never pulled: counted from its creation.
    expect(isStale(null, created, new Date('2026-01-01T23:00:00Z'), 86400)).toBe(false);
    expect(isStale(null, created, new Date('2026-01-02T00:00:01Z'), 86400)).toBe(true);
  });
});
