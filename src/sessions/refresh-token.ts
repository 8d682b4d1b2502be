import { createHash, randomBytes, randomUUID, timingSafeEqual } from 'node:crypto';

const UUID = '[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}';
/** 32 random bytes in base64url: 256 bits. */
const SECRET_BYTES = 32;
const TOKEN = new RegExp(`^(${UUID})\\.([A-Za-z0-9_-]{43})$`);

/** A refresh token as handed out, and the digest that is all the database keeps of it. */
export interface NewRefreshToken {
  token: string;
  hash: Buffer;
}

/** What a presented refresh token says: the session it claims, and the digest to compare with the stored one. */
export interface PresentedRefreshToken {
  sessionId: string;
  hash: Buffer;
}

/**
 * `<session id>.<secret>`: the id lets a presented token be checked against its own session row with a
 * constant-time comparison (and a spent one be traced to the session it must revoke), the secret is what
 * proves possession. Only the secret's SHA-256 is stored.
 */
export function newRefreshToken(sessionId: string): NewRefreshToken {
  const secret = randomBytes(SECRET_BYTES).toString('base64url');
  return { token: `${sessionId}.${secret}`, hash: digest(secret) };
}

/** A new session id, chosen here so that the first refresh token can name it before the row exists. */
export function newSessionId(): string {
  return randomUUID();
}

/** Undefined for anything that is not a token newRefreshToken could have made. */
export function parseRefreshToken(token: string): PresentedRefreshToken | undefined {
  const match = TOKEN.exec(token);
  return match ? { sessionId: match[1], hash: digest(match[2]) } : undefined;
}

export function sameDigest(a: Buffer, b: Buffer): boolean {
  return a.length === b.length && timingSafeEqual(a, b);
}

function digest(secret: string): Buffer {
  return createHash('sha256').update(secret).digest();
}
