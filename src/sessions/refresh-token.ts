import { randomUUID } from 'node:crypto';
import { NewSecretToken, newSecretToken, sha256 } from '../common/secret-token';

const UUID = '[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}';
const TOKEN = new RegExp(`^(${UUID})\\.([A-Za-z0-9_-]{43})$`);

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
  return match ? { sessionId: match[1], hash: sha256(match[2]) } : undefined;
}
