import { sameDigest } from '../common/secret-token';
import { newRefreshToken, newSessionId, openSuccessor, parseRefreshToken, sealSuccessor } from './refresh-token';

describe('refresh tokens', () => {
  it('names its session and carries 256 random bits, of which only the digest is kept', () => {
    const sessionId = newSessionId();
    const { token, hash } = newRefreshToken(sessionId);
    const [id, secret] = token.split('.');
    expect(id).toBe(sessionId);
    expect(Buffer.from(secret, 'base64url')).toHaveLength(32);
    expect(hash).toHaveLength(32);
    expect(hash.toString('hex')).not.toContain(Buffer.from(secret, 'base64url').toString('hex'));
    expect(newRefreshToken(sessionId).token).not.toBe(token);
  });

  it('parses its own tokens back to the session and the same digest', () => {
    const sessionId = newSessionId();
    const { token, hash } = newRefreshToken(sessionId);
    const presented = parseRefreshToken(token)!;
    expect(presented.sessionId).toBe(sessionId);
    expect(sameDigest(presented.hash, hash)).toBe(true);
    expect(sameDigest(parseRefreshToken(newRefreshToken(sessionId).token)!.hash, hash)).toBe(false);
  });

  it.each([
    [''],
    ['garbage'],
    [`${'0'.repeat(36)}.${'A'.repeat(43)}`],
    [`6f1d8a3e-2c4b-4e5f-8a9b-0c1d2e3f4a5b.${'A'.repeat(42)}`],
    [`6f1d8a3e-2c4b-4e5f-8a9b-0c1d2e3f4a5b.${'A'.repeat(43)}x`],
    [`6F1D8A3E-2C4B-4E5F-8A9B-0C1D2E3F4A5B.${'A'.repeat(43)}`],
    [`6f1d8a3e-2c4b-4e5f-8a9b-0c1d2e3f4a5b.${'+'.repeat(43)}`],
  ])('refuses %j', (token) => {
    expect(parseRefreshToken(token)).toBeUndefined();
  });

  it('seals a successor that only the spent token opens', () => {
    const sessionId = newSessionId();
    const spent = parseRefreshToken(newRefreshToken(sessionId).token)!;
    const successor = newRefreshToken(sessionId).token;
    const sealed = sealSuccessor(spent, successor);
    expect(openSuccessor(spent, sealed)).toBe(successor);
    expect(sealed.toString('utf8')).not.toContain(successor.split('.')[1]);
    expect(openSuccessor(parseRefreshToken(newRefreshToken(sessionId).token)!, sealed)).toBeUndefined();
    expect(openSuccessor({ ...spent, sessionId: newSessionId() }, sealed)).toBeUndefined();
    expect(openSuccessor(spent, sealed.subarray(0, 20))).toBeUndefined();
  });

  it('compares digests of different lengths as different, without throwing', () => {
    expect(sameDigest(Buffer.alloc(32), Buffer.alloc(31))).toBe(false);
  });
});
