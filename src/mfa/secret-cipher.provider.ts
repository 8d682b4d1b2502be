import { Logger, Provider } from '@nestjs/common';
import { AppConfig } from '../config/app-config';
import { APP_CONFIG } from '../config/config.module';
import { SecretCipher } from './secret-cipher';

/** MFA_ENCRYPTION_KEY's cipher; without it (never in production) one derived from the JWT secret. */
export const secretCipherProvider: Provider = {
  provide: SecretCipher,
  inject: [APP_CONFIG],
  useFactory: (config: AppConfig) => {
    if (!config.mfa.encryptionKey) {
      new Logger('Mfa').warn(
        'MFA_ENCRYPTION_KEY is not set: TOTP secrets are encrypted with a key derived from the JWT secret',
      );
    }
    return new SecretCipher(config.mfa.encryptionKey ?? config.jwtSecret!, config.mfa.previousEncryptionKeys);
  },
};
