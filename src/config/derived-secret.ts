import { hkdfSync } from 'node:crypto';

/**
 * A 32-byte key for one purpose, derived with HKDF-SHA-256 from a configured secret. Each purpose gets an
 * independent key, so one secret can stand behind several (a development instance's JWT secret behind
 * the TOTP and CAPTCHA keys) without any of them revealing another.
 */
export function deriveKey(secret: string, purpose: string): Buffer {
  return Buffer.from(hkdfSync('sha256', Buffer.from(secret, 'utf8'), Buffer.alloc(0), `regshield/${purpose}`, 32));
}
