import { MAX_RETRY_DELAY_MS, retryDelayMs } from './retry-delay';

describe('retryDelayMs', () => {
  it('doubles per attempt, between half and all of the exponential delay', () => {
    expect(retryDelayMs(1, 1000, () => 0)).toBe(500);
    expect(retryDelayMs(1, 1000, () => 1)).toBe(1000);
    expect(retryDelayMs(3, 1000, () => 0)).toBe(2000);
    expect(retryDelayMs(3, 1000, () => 1)).toBe(4000);
  });

  it('never waits more than the cap, even after very many attempts', () => {
    expect(retryDelayMs(1000, 5000, () => 1)).toBe(MAX_RETRY_DELAY_MS);
    expect(retryDelayMs(1000, 5000, () => 0)).toBe(MAX_RETRY_DELAY_MS / 2);
  });
});
