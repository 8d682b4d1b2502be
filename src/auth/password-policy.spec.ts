import { COMMON_PASSWORD_MESSAGE, isCommonPassword, passwordProblems, usePasswordBlocklist } from './password-policy';

describe('passwordProblems', () => {
  afterEach(() => usePasswordBlocklist(false));

  it.each(['Test1234', 'Strong123', 'Ünïcode1a', `Aa1${'x'.repeat(197)}`])('accepts %s', (password) => {
    expect(passwordProblems(password)).toEqual([]);
  });

  it.each([
    ['password', ['password must contain an upper-case letter', 'password must contain a digit']],
    ['Short1a', ['password must be at least 8 characters long']],
    ['ALLUPPER123', ['password must contain a lower-case letter']],
    ['alllower123', ['password must contain an upper-case letter']],
    ['NoDigitsHere', ['password must contain a digit']],
    [`Aa1${'x'.repeat(198)}`, ['password must be at most 200 characters long']],
  ])('rejects %s', (password, problems) => {
    expect(passwordProblems(password)).toEqual(problems);
  });

  it('refuses listed passwords that pass the composition rules, whatever their case, only while the list is on', () => {
    expect(isCommonPassword('Password123')).toBe(false);
    usePasswordBlocklist(true);
    for (const password of ['Password123', 'Qwerty123', 'Test1234', 'Iloveyou1']) {
      expect(passwordProblems(password)).toEqual([COMMON_PASSWORD_MESSAGE]);
    }
    expect(passwordProblems('pAsSwOrD123')).toEqual([COMMON_PASSWORD_MESSAGE]);
    expect(passwordProblems('Sturdy-Pass-42')).toEqual([]);
    usePasswordBlocklist(false);
    expect(passwordProblems('Password123')).toEqual([]);
  });
});
