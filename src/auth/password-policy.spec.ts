import { passwordProblems } from './password-policy';

describe('passwordProblems', () => {
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
});
