import { createCipheriv, createDecipheriv, hkdfSync, randomBytes, randomUUID } from 'node:crypto';
import { NewSecretToken, newSecretToken, sha256 } from '../common/secret-token';

const UUID = '[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}';
const TOKEN = new RegExp(`^(${UUID})\\.([A-Za-z0-9_-]{43})$`);

const SEAL_IV_BYTES = 12;
const SEAL_TAG_BYTES = 16;

/**
 * What a presented refresh token says: the session it claims, the digest to compare with the stored one,
 * and the secret itself, the key to the successor sealed for it (sealSuccessor).
 */
export interface PresentedRefreshToken {
  sessionId: string;
  hash: Buffer;
  secret: string;
}

/**
 * `<session id>.<secret>`: the id lets a presented token be checked against its own session row with a
 * constant-time comparison (and a spent one be traced to the session it must revoke), the secret is what
 * proves possession. Only the secret's SHA-256 is stored.
 */
export function newRefreshToken(sessionId: string): NewSecretToken {
  const secret = newSecretToken();
  return { token: `${sessionId}.${secret.token}`, hash: secret.hash };
}

/** A new session id, chosen here so that the first refresh token can name it before the row exists. */
export function newSessionId(): string {
  return randomUUID();
}

/** Undefined for anything that is not a token newRefreshToken could have made. */
export function parseRefreshToken(token: string): PresentedRefreshToken | undefined {
  const match = TOKEN.exec(token);
  return match ? { sessionId: match[1], hash: sha256(match[2]), secret: match[2] } : undefined;
}

/**
 * The successor of a spent token, encrypted (AES-256-GCM) under a key derived from the spent token's
 * secret: only its digest is stored, so only someone who presents the spent token can open this again.
 * Each key seals exactly one successor (a token is spent once), and the IV is random besides.
 */
export function sealSuccessor(spent: PresentedRefreshToken, successor: string): Buffer {
  const iv = randomBytes(SEAL_IV_BYTES);
  const cipher = createCipheriv('aes-256-gcm', sealKey(spent), iv, { authTagLength: SEAL_TAG_BYTES });
  const sealed = Buffer.concat([cipher.update(successor, 'utf8'), cipher.final()]);
  return Buffer.concat([iv, cipher.getAuthTag(), sealed]);
}

/** The successor sealSuccessor sealed for this spent token; undefined for any other token or a damaged seal. */
export function openSuccessor(spent: PresentedRefreshToken, sealed: Buffer): string | undefined {
  try {
    const iv = sealed.subarray(0, SEAL_IV_BYTES);
    const tag = sealed.subarray(SEAL_IV_BYTES, SEAL_IV_BYTES + SEAL_TAG_BYTES);
    const decipher = createDecipheriv('aes-256-gcm', sealKey(spent), iv, { authTagLength: SEAL_TAG_BYTES });
    decipher.setAuthTag(tag);
    const successor = Buffer.concat([
      decipher.update(sealed.subarray(SEAL_IV_BYTES + SEAL_TAG_BYTES)),
      decipher.final(),
    ]);
    return successor.toString('utf8');
  } catch {
    return undefined;
  }
}

/** HKDF of the 256-bit secret, bound to its session: a high-entropy input needs no slow derivation. */
function sealKey(spent: PresentedRefreshToken): Buffer {
  return Buffer.from(hkdfSync('sha256', spent.secret, spent.sessionId, 'regshield/refresh-successor', 32));
}
