import { lockDurationSeconds } from './lock-duration';

describe('lockDurationSeconds', () => {
  const config = { maxFailures: 10, lockSeconds: 60, maxLockSeconds: 900 };

  it('lasts ACCOUNT_LOCKOUT_TIME first, then doubles with each further lock', () => {
    expect([0, 1, 2, 3].map((locks) => lockDurationSeconds(locks, config))).toEqual([60, 120, 240, 480]);
  });

  it('never exceeds ACCOUNT_LOCKOUT_MAX_TIME, however many locks came before', () => {
    expect(lockDurationSeconds(4, config)).toBe(900);
    expect(lockDurationSeconds(10_000, config)).toBe(900);
  });
});
