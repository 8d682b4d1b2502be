import { COSEALG } from '@simplewebauthn/server/helpers';

/** Who the passkeys are for: WebAuthn binds each one to the RP ID, and each answer to the origin it came from. */
export interface RelyingParty {
  /** PUBLIC_URL's host name: a passkey registered here works on it and nowhere else. */
  id: string;
  /** PUBLIC_URL's origin: the browser puts the page's origin in what it signs; any other is refused. */
  origin: string;
  /** What the browser shows when it asks which passkey to use. */
  name: string;
}

export function relyingPartyOf(publicUrl: string): RelyingParty {
  const url = new URL(publicUrl);
  return { id: url.hostname, origin: url.origin, name: 'regshield' };
}

/**
 * The WebAuthn user handle of an account: its id's 16 bytes, base64url. Stable, and holds nothing personal
 * (the specification asks for no e-mail or name in it).
 */
export function userHandleOf(userId: string): Uint8Array<ArrayBuffer> {
  return new Uint8Array(Buffer.from(userId.replace(/-/g, ''), 'hex'));
}

/**
 * The signature algorithms a passkey may use: what every authenticator offers (EdDSA, ES256, RS256). Named
 * rather than left to the library, whose default also probes the runtime for the post-quantum ML-DSA-44 and so
 * makes Node print an experimental-feature warning.
 */
export const SUPPORTED_ALGORITHMS = [COSEALG.EdDSA, COSEALG.ES256, COSEALG.RS256];
