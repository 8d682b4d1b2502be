import { CheckAnswers } from './check-answers';

describe('CheckAnswers', () => {
  it('gives an answer back until its ban expires', () => {
    const answers = new CheckAnswers<{ expiresAt: Date | null }>(10);
    const expiring = { expiresAt: new Date(1_000) };
    const untilLifted = { expiresAt: null };
    answers.remember('192.0.2.1', expiring);
    answers.remember('192.0.2.2', untilLifted);
    expect(answers.get('192.0.2.1', 999)).toBe(expiring);
    expect(answers.get('192.0.2.1', 1_000)).toBeUndefined();
    expect(answers.get('192.0.2.2', Number.MAX_SAFE_INTEGER)).toBe(untilLifted);
    expect(answers.size).toBe(1);
  });

  it('keeps answers by the exact text asked', () => {
    const answers = new CheckAnswers<{ expiresAt: Date | null }>(10);
    answers.remember('2001:db8::1', { expiresAt: null });
    expect(answers.get('2001:DB8::1', 0)).toBeUndefined();
  });

  it('drops the oldest answer when full, and everything when cleared', () => {
    const answers = new CheckAnswers<{ expiresAt: Date | null }>(2);
    answers.remember('a', { expiresAt: null });
    answers.remember('b', { expiresAt: null });
    answers.remember('c', { expiresAt: null });
    expect(answers.get('a', 0)).toBeUndefined();
    expect(answers.get('b', 0)).toBeDefined();
    expect(answers.get('c', 0)).toBeDefined();
    answers.clear();
    expect(answers.size).toBe(0);
  });
});
