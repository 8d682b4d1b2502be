import { countedResponseCodeSql, DIGEST_CHALLENGE_CODES, isDigestChallenge } from './digest-challenge';

describe('the digest challenge rule (401/407: never stored, never counted)', () => {
  it('knows 401 and 407 as challenges, and nothing else', () => {
    expect(DIGEST_CHALLENGE_CODES).toEqual([401, 407]);
    expect([401, 407, 403, 404, 200, null, undefined].map(isDigestChallenge)).toEqual([
      true,
      true,
      false,
      false,
      false,
      false,
      false,
    ]);
  });

  it('builds the engine SQL from the same list', () => {
    expect(countedResponseCodeSql()).toBe('COALESCE(response_code, 0) NOT IN (401, 407)');
    expect(countedResponseCodeSql('f.response_code')).toBe('COALESCE(f.response_code, 0) NOT IN (401, 407)');
  });
});
