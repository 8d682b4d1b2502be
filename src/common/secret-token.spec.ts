import { newSecretToken, sameDigest, sameSecret, sha256 } from './secret-token';

describe('newSecretToken', () => {
  it('makes 256-bit base64url tokens, never the same twice, and keeps only their SHA-256', () => {
    const first = newSecretToken();
    const second = newSecretToken();
    expect(first.token).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(Buffer.from(first.token, 'base64url')).toHaveLength(32);
    expect(first.token).not.toBe(second.token);
    expect(first.hash).toEqual(sha256(first.token));
    expect(first.hash).toHaveLength(32);
    expect(first.hash.toString('utf8')).not.toContain(first.token);
  });
});

describe('sameDigest and sameSecret', () => {
  it('compares digests of different lengths as different, without throwing', () => {
    expect(sameDigest(Buffer.alloc(32), Buffer.alloc(31))).toBe(false);
    expect(sameDigest(sha256('a'), sha256('a'))).toBe(true);
  });

  it('compares secrets of any lengths, given as text or as the expected bytes', () => {
    expect(sameSecret('metrics-token', 'metrics-token')).toBe(true);
    expect(sameSecret('metrics-token', Buffer.from('metrics-token'))).toBe(true);
    expect(sameSecret('metrics-token', 'metrics-token-longer')).toBe(false);
    expect(sameSecret('metrics-tokeN', 'metrics-token')).toBe(false);
    expect(sameSecret('', Buffer.from('x'))).toBe(false);
    expect(sameSecret('clé', 'clé')).toBe(true);
  });
});
