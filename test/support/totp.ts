import { createHmac } from 'node:crypto';
import { waitFor } from './wait';

const PERIOD_MS = 30_000;
const BASE32 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';

/** RFC 4648 base32, as authenticator apps read a TOTP secret. */
export function base32Decode(text: string): Buffer {
  let bits = '';
  for (const char of text.replace(/=+$/, '').toUpperCase()) {
    const value = BASE32.indexOf(char);
    if (value < 0) throw new Error(`not base32: ${char}`);
    bits += value.toString(2).padStart(5, '0');
  }
  const bytes = bits.match(/.{8}/g) ?? [];
  return Buffer.from(bytes.map((byte) => parseInt(byte, 2)));
}

/** The current time step (RFC 6238: 30 s since the epoch). */
export const currentStep = () => Math.floor(Date.now() / PERIOD_MS);

/** RFC 6238 TOTP (HMAC-SHA-1, 6 digits) for a time step, computed here, independently of the product's library. */
export function totpCode(secretBase32: string, step: number): string {
  const counter = Buffer.alloc(8);
  counter.writeBigUInt64BE(BigInt(step));
  const digest = createHmac('sha1', base32Decode(secretBase32)).update(counter).digest();
  const offset = digest[digest.length - 1] & 0x0f;
  const binary = digest.readUInt32BE(offset) & 0x7fffffff;
  return String(binary % 1_000_000).padStart(6, '0');
}

/**
 * Waits, when less than `marginMs` are left in the current time step, for the next one to begin, so that a
 * test computing codes around "now" does not straddle a step boundary. Returns the step to work in.
 */
export async function freshStep(marginMs = 5000): Promise<number> {
  return waitFor(() => Promise.resolve(PERIOD_MS - (Date.now() % PERIOD_MS) > marginMs ? currentStep() : undefined));
}
