import { hash, randomBytes, timingSafeEqual } from 'node:crypto';

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
  // The one-shot form: no Hash object per call (the API key is hashed on every check/{ip}).
  return hash('sha256', text, 'buffer');
}

/** Constant-time comparison of two digests; digests of different lengths are simply different. */
export function sameDigest(a: Buffer, b: Buffer): boolean {
  return a.length === b.length && timingSafeEqual(a, b);
}

/**
 * Whether a presented secret equals the expected one (text, or its UTF-8 bytes), in a time that tells nothing
 * of the expected one: a presented value of another length still costs one comparison of the expected length.
 * No digest: hashing both sides cost every check/{ip} more than the ban lookup it guards (a CPU profile).
 */
export function sameSecret(presented: string, expected: string | Buffer): boolean {
  const expectedBytes = typeof expected === 'string' ? Buffer.from(expected, 'utf8') : expected;
  const presentedBytes = Buffer.from(presented, 'utf8');
  if (presentedBytes.length !== expectedBytes.length) {
    timingSafeEqual(expectedBytes, expectedBytes);
    return false;
  }
  return timingSafeEqual(presentedBytes, expectedBytes);
}
