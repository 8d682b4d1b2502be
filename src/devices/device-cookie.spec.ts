import { deriveKey } from '../config/derived-secret';
import { signDeviceClaim, verifyDeviceClaim } from './device-cookie';

describe('device cookie signing', () => {
  const key = deriveKey('a-server-secret-of-at-least-32-characters', 'device-cookie');
  const claim = {
    deviceId: '7d1f3c2a-9b8e-4f6d-a5c4-3b2a1f0e9d8c',
    userId: '0b9c8d7e-6f5a-4b3c-9d2e-1f0a9b8c7d6e',
  };
  const value = signDeviceClaim(key, claim);

  it('reads back the device and the user it was signed for', () => {
    expect(value).toMatch(/^v1\.[0-9a-f-]{36}\.[0-9a-f-]{36}\.[A-Za-z0-9_-]{43}$/);
    expect(verifyDeviceClaim(key, value)).toEqual(claim);
  });

  it('refuses a value signed with another key (another server secret, or another purpose)', () => {
    expect(verifyDeviceClaim(deriveKey('another-server-secret-of-32-characters!', 'device-cookie'), value)).toBe(
      undefined,
    );
    const sameSecretOtherPurpose = deriveKey('a-server-secret-of-at-least-32-characters', 'totp-secret');
    expect(verifyDeviceClaim(sameSecretOtherPurpose, value)).toBeUndefined();
  });

  it('refuses a claim moved to another user or device, and any altered signature character', () => {
    const [version, deviceId, , signature] = value.split('.');
    const otherUser = '11111111-2222-4333-8444-555555555555';
    expect(verifyDeviceClaim(key, [version, deviceId, otherUser, signature].join('.'))).toBeUndefined();
    expect(verifyDeviceClaim(key, [version, otherUser, claim.userId, signature].join('.'))).toBeUndefined();
    for (let index = 0; index < signature.length; index += 1) {
      const altered = signature.slice(0, index) + (signature[index] === 'A' ? 'B' : 'A') + signature.slice(index + 1);
      expect(verifyDeviceClaim(key, [version, deviceId, claim.userId, altered].join('.'))).toBeUndefined();
    }
  });

  it.each([
    ['nothing', undefined],
    ['an empty value', ''],
    ['a truncated signature', value.slice(0, -1)],
    ['a padded signature', `${value}=`],
    ['another version', value.replace(/^v1\./, 'v2.')],
    ['an extra part', `${value}.x`],
    ['upper-case ids', value.toUpperCase()],
    ['garbage', 'not-a-device-cookie'],
  ])('refuses %s', (_, presented) => {
    expect(verifyDeviceClaim(key, presented)).toBeUndefined();
  });
});
