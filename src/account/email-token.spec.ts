import { hashEmailToken, newEmailToken } from './email-token';

describe('newEmailToken', () => {
  it('makes 256-bit base64url tokens, never the same twice, and keeps only their SHA-256', () => {
    const first = newEmailToken();
    const second = newEmailToken();
    expect(first.token).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(Buffer.from(first.token, 'base64url')).toHaveLength(32);
    expect(first.token).not.toBe(second.token);
    expect(first.hash).toEqual(hashEmailToken(first.token));
    expect(first.hash).toHaveLength(32);
    expect(first.hash.toString('utf8')).not.toContain(first.token);
  });
});
