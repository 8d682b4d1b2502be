import { Injectable, Logger, OnApplicationBootstrap } from '@nestjs/common';
import { MfaRepository } from './mfa.repository';
import { SecretCipher } from './secret-cipher';

const BATCH_SIZE = 500;

/**
 * Finishes a rotation of MFA_ENCRYPTION_KEY: at start, every TOTP secret still under a previous key
 * (MFA_ENCRYPTION_KEY_PREVIOUS) is re-encrypted under the current one. Several instances may do it at
 * once: each replacement only applies to the value it read.
 */
@Injectable()
export class SecretRotationService implements OnApplicationBootstrap {
  private readonly logger = new Logger('Mfa');

  constructor(
    private readonly mfa: MfaRepository,
    private readonly cipher: SecretCipher,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    const { reencrypted, unreadable } = await this.reencryptOldSecrets();
    if (reencrypted > 0) this.logger.log(`Re-encrypted ${reencrypted} TOTP secrets under MFA_ENCRYPTION_KEY`);
    if (unreadable > 0) {
      this.logger.warn(
        `${unreadable} TOTP secrets are under a key that neither MFA_ENCRYPTION_KEY nor MFA_ENCRYPTION_KEY_PREVIOUS ` +
          'holds: those users cannot log in until an admin removes their second factor or the key is added back',
      );
    }
  }

  async reencryptOldSecrets(): Promise<{ reencrypted: number; unreadable: number }> {
    let reencrypted = 0;
    for (;;) {
      const batch = await this.mfa.findSecretsNotUnder(this.cipher.currentKeyPrefix, BATCH_SIZE);
      let progress = 0;
      for (const { userId, secret } of batch) {
        let plaintext: string;
        try {
          plaintext = this.cipher.decrypt(secret, userId);
        } catch {
          continue;
        }
        await this.mfa.replaceSecret(userId, secret, this.cipher.encrypt(plaintext, userId));
        progress += 1;
      }
      reencrypted += progress;
      // What is left in a batch that made no progress cannot be read with the configured keys.
      if (batch.length < BATCH_SIZE || progress === 0) {
        return { reencrypted, unreadable: batch.length - progress };
      }
    }
  }
}
