import { createCipheriv, createDecipheriv, createHash, randomBytes } from 'node:crypto';
import { deriveKey } from '../config/derived-secret';

const FORMAT = 'v1';
const PURPOSE = 'totp-secret';
const IV_BYTES = 12;
const TAG_BYTES = 16;

interface CipherKey {
  id: string;
  key: Buffer;
}

function toCipherKey(secret: string): CipherKey {
  const key = deriveKey(secret, PURPOSE);
  // Names the key in each stored value without revealing it: a rotation finds what is still under an old key.
  return { id: createHash('sha256').update(key).digest('hex').slice(0, 8), key };
}

/**
 * AES-256-GCM for TOTP secrets at rest. A stored value reads `v1.<key id>.<iv>.<tag>.<ciphertext>`
 * (base64url); the user's id is authenticated with it, so a value copied onto another user's row does
 * not decrypt. Values under a previous key (MFA_ENCRYPTION_KEY_PREVIOUS) still decrypt, and
 * `isUnderCurrentKey` tells which ones to re-encrypt.
 */
export class SecretCipher {
  private readonly current: CipherKey;
  private readonly byId: ReadonlyMap<string, CipherKey>;

  constructor(currentSecret: string, previousSecrets: readonly string[] = []) {
    this.current = toCipherKey(currentSecret);
    const keys = [this.current, ...previousSecrets.map(toCipherKey)];
    this.byId = new Map(keys.reverse().map((key) => [key.id, key]));
  }

  encrypt(plaintext: string, userId: string): string {
    const iv = randomBytes(IV_BYTES);
    const cipher = createCipheriv('aes-256-gcm', this.current.key, iv, { authTagLength: TAG_BYTES });
    cipher.setAAD(Buffer.from(userId, 'utf8'));
    const ciphertext = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()]);
    return [FORMAT, this.current.id, iv, cipher.getAuthTag(), ciphertext]
      .map((part) => (typeof part === 'string' ? part : part.toString('base64url')))
      .join('.');
  }

  /** Throws when the value is malformed, was encrypted under a key not configured, or was tampered with. */
  decrypt(stored: string, userId: string): string {
    const [format, keyId, iv, tag, ciphertext] = stored.split('.');
    if (format !== FORMAT || ciphertext === undefined) throw new Error('Unknown TOTP secret format');
    const key = this.byId.get(keyId);
    if (!key) throw new Error(`TOTP secret encrypted under key ${keyId}, which is not configured`);
    const decipher = createDecipheriv('aes-256-gcm', key.key, Buffer.from(iv, 'base64url'), {
      authTagLength: TAG_BYTES,
    });
    decipher.setAAD(Buffer.from(userId, 'utf8'));
    decipher.setAuthTag(Buffer.from(tag, 'base64url'));
    return Buffer.concat([decipher.update(Buffer.from(ciphertext, 'base64url')), decipher.final()]).toString('utf8');
  }

  /** How every value encrypted under the current key begins. */
  get currentKeyPrefix(): string {
    return `${FORMAT}.${this.current.id}.`;
  }

  isUnderCurrentKey(stored: string): boolean {
    return stored.startsWith(this.currentKeyPrefix);
  }
}
