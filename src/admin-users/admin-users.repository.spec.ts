import { containsPattern } from './admin-users.repository';

describe('containsPattern', () => {
  it('matches the text anywhere', () => {
    expect(containsPattern('alice')).toBe('%alice%');
  });

  it("escapes LIKE's wildcards and its escape character, so each is taken literally", () => {
    expect(containsPattern('100%')).toBe('%100\\%%');
    expect(containsPattern('a_b')).toBe('%a\\_b%');
    expect(containsPattern('back\\slash')).toBe('%back\\\\slash%');
  });
});
