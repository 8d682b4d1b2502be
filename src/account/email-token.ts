import { createHash, randomBytes } from 'node:crypto';

/** 32 random bytes: 256 bits, twice the 128 the tokens need at least. */
const TOKEN_BYTES = 32;

/** The single-use tokens sent by e-mail, by what they allow. */
export type EmailTokenKind = 'email_verification' | 'password_reset';

/** A new token as it goes into a link (base64url), and the only form that is stored: its SHA-256. */
export function newEmailToken(): { token: string; hash: Buffer } {
  const token = randomBytes(TOKEN_BYTES).toString('base64url');
  return { token, hash: hashEmailToken(token) };
}

/**
 * The stored form of a token. Looking a presented token up by this hash (a unique index) compares no secret
 * byte by byte: what an attacker could time is the search for a hash they cannot steer.
 */
export function hashEmailToken(token: string): Buffer {
  return createHash('sha256').update(token, 'utf8').digest();
}
