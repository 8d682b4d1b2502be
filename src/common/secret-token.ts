import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';

/** 32 random bytes: 256 bits, twice the 128 every token of the service needs at least. */
const TOKEN_BYTES = 32;

/** A token as it is handed out, and its digest: the only form of it that is stored. */
export interface NewSecretToken {
  token: string;
  hash: Buffer;
}

/**
 * A new random token in base64url (43 characters) and its SHA-256. A 256-bit token needs no slow hash: it
 * cannot be guessed from its digest. Looking a presented token up by its digest (a unique index) compares
 * no secret byte by byte: what an attacker could time is the search for a digest they cannot steer.
 */
export function newSecretToken(): NewSecretToken {
  const token = randomBytes(TOKEN_BYTES).toString('base64url');
  return { token, hash: sha256(token) };
}

export function sha256(text: string): Buffer {
  return createHash('sha256').update(text, 'utf8').digest();
}

/** Constant-time comparison of two digests; digests of different lengths are simply different. */
export function sameDigest(a: Buffer, b: Buffer): boolean {
  return a.length === b.length && timingSafeEqual(a, b);
}

/**
 * Whether a presented secret equals the expected one, in constant time whatever their lengths: both are
 * hashed first, and the equal-length digests compared.
 */
export function sameSecret(presented: string, expected: string | Buffer): boolean {
  return sameDigest(sha256(presented), Buffer.isBuffer(expected) ? expected : sha256(expected));
}
