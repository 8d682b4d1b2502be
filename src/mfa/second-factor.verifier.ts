import { Injectable } from '@nestjs/common';
import { MfaRepository } from './mfa.repository';
import { hashRecoveryCode } from './recovery-codes';
import { SecretCipher } from './secret-cipher';
import { asTotpCode, matchingTimeStep } from './totp';

/** Checks the second factor of an account that has one enabled: at login, and before it is disabled. */
@Injectable()
export class SecondFactorVerifier {
  constructor(
    private readonly mfa: MfaRepository,
    private readonly cipher: SecretCipher,
  ) {}

  /**
   * True for a TOTP code of the current time step (± one) later than the last one accepted, or for one of
   * the user's unused recovery codes; either is spent by being accepted.
   */
  async verify(userId: string, code: string): Promise<boolean> {
    const totpCode = asTotpCode(code);
    if (totpCode === undefined) return this.mfa.consumeRecoveryCode(userId, hashRecoveryCode(code));
    const credential = await this.mfa.findCredential(userId);
    if (!credential?.enabled) return false;
    const step = matchingTimeStep(this.cipher.decrypt(credential.secretEncrypted, userId), totpCode);
    return step !== undefined && this.mfa.consumeTimeStep(userId, step, 'enabled');
  }
}
