import { SecretCipher } from './secret-cipher';

const KEY = 'k'.repeat(32);
const OLD_KEY = 'o'.repeat(32);
const USER = '7d0f8f4e-5c0a-4b8e-9a43-0d3f1b2c4e5a';

describe('SecretCipher', () => {
  it('round-trips a secret and never stores it in the clear', () => {
    const cipher = new SecretCipher(KEY);
    const stored = cipher.encrypt('JBSWY3DPEHPK3PXP', USER);
    expect(stored).not.toContain('JBSWY3DPEHPK3PXP');
    expect(stored).not.toBe(cipher.encrypt('JBSWY3DPEHPK3PXP', USER));
    expect(cipher.decrypt(stored, USER)).toBe('JBSWY3DPEHPK3PXP');
  });

  it("refuses a value moved onto another user's row, a tampered value and an unknown key", () => {
    const cipher = new SecretCipher(KEY);
    const stored = cipher.encrypt('JBSWY3DPEHPK3PXP', USER);
    expect(() => cipher.decrypt(stored, 'another-user')).toThrow();
    const parts = stored.split('.');
    parts[4] = Buffer.from('tampered').toString('base64url');
    expect(() => cipher.decrypt(parts.join('.'), USER)).toThrow();
    expect(() => new SecretCipher(OLD_KEY).decrypt(stored, USER)).toThrow(/not configured/);
  });

  it('reads values under a previous key during a rotation and tells them apart', () => {
    const old = new SecretCipher(OLD_KEY).encrypt('SECRET', USER);
    const rotating = new SecretCipher(KEY, [OLD_KEY]);
    expect(rotating.decrypt(old, USER)).toBe('SECRET');
    expect(rotating.isUnderCurrentKey(old)).toBe(false);
    expect(rotating.isUnderCurrentKey(rotating.encrypt('SECRET', USER))).toBe(true);
  });
});
