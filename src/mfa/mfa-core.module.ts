import { Module } from '@nestjs/common';
import { SecretCipher } from './secret-cipher';
import { MfaRepository } from './mfa.repository';
import { SecondFactorVerifier } from './second-factor.verifier';
import { secretCipherProvider } from './secret-cipher.provider';
import { SecretRotationService } from './secret-rotation.service';

/**
 * What login needs of the second factor, with nothing of auth's: AuthModule imports this one, and
 * MfaModule (the routes, which need auth's guards) imports both.
 */
@Module({
  providers: [MfaRepository, secretCipherProvider, SecondFactorVerifier, SecretRotationService],
  exports: [MfaRepository, SecretCipher, SecondFactorVerifier],
})
export class MfaCoreModule {}
