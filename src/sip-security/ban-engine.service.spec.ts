import { banDurationSeconds } from './ban-engine.service';

describe('banDurationSeconds (Fail2Ban bantime.increment)', () => {
  const settings = { banTimeSeconds: 3600, timeFactor: 2, maxTimeSeconds: 604800 };

  it('grows by the factor with each earlier ban of the same source', () => {
    expect([0, 1, 2, 3].map((previous) => banDurationSeconds(settings, previous))).toEqual([3600, 7200, 14400, 28800]);
  });

  it('stops at the max time', () => {
    expect(banDurationSeconds(settings, 8)).toBe(604800);
    expect(banDurationSeconds(settings, 200)).toBe(604800);
  });

  it('stays flat with a factor of 1', () => {
    expect(banDurationSeconds({ ...settings, timeFactor: 1 }, 5)).toBe(3600);
  });
});
