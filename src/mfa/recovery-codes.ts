import { randomBytes } from 'node:crypto';
import { Secret } from 'otpauth';
import { sha256 } from '../common/secret-token';

export const RECOVERY_CODE_COUNT = 10;
/** 128 random bits, as every token of the service: a stored hash cannot be reversed by guessing. */
const RECOVERY_CODE_BYTES = 16;

/** Ten new codes, each 26 base32 characters shown in groups (`abcde-fghij-klmno-pqrst-uvwxyz`). */
export function generateRecoveryCodes(): string[] {
  return Array.from({ length: RECOVERY_CODE_COUNT }, () => {
    const code = new Secret({ buffer: new Uint8Array(randomBytes(RECOVERY_CODE_BYTES)).buffer }).base32;
    // A dash after every fifth character, the last group taking the one left over.
    return code.toLowerCase().replace(/(.{5})(?=.{2})/g, '$1-');
  });
}

/**
 * How a recovery code is stored and looked up: SHA-256 of its characters, case, spaces and dashes aside
 * (people retype them). A 128-bit code needs no slow hash: it cannot be guessed from its hash.
 */
export function hashRecoveryCode(input: string): Buffer {
  return sha256(input.toLowerCase().replace(/[\s-]+/g, ''));
}
