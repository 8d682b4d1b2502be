import { describeDuration } from './duration';

describe('describeDuration', () => {
  it('names the largest whole unit', () => {
    expect(describeDuration(1800)).toBe('30 minutes');
    expect(describeDuration(86400)).toBe('24 hours');
    expect(describeDuration(3 * 86400)).toBe('3 days');
    expect(describeDuration(3600)).toBe('1 hour');
    expect(describeDuration(90)).toBe('90 seconds');
    expect(describeDuration(1)).toBe('1 second');
  });
});
