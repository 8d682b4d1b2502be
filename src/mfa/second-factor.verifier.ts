import { Injectable, Logger } from '@nestjs/common';
import { MfaRepository } from './mfa.repository';
import { hashRecoveryCode } from './recovery-codes';
import { SecretCipher } from './secret-cipher';
import { asTotpCode, matchingTimeStep } from './totp';

/** Checks the second factor of an account that has one enabled: at login, and before it is disabled. */
@Injectable()
export class SecondFactorVerifier {
  private readonly logger = new Logger('Mfa');

  constructor(
    private readonly mfa: MfaRepository,
    private readonly cipher: SecretCipher,
  ) {}

  /**
   * True for a TOTP code of the current time step (± one) later than the last one accepted, or for one of
   * the user's unused recovery codes; either is spent by being accepted.
   */
  async verify(userId: string, code: string): Promise<boolean> {
    if (asTotpCode(code) === undefined) return this.mfa.consumeRecoveryCode(userId, hashRecoveryCode(code));
    const credential = await this.mfa.findCredential(userId);
    if (!credential?.enabled) return false;
    const step = this.timeStepOf(userId, credential.secretEncrypted, code);
    return step !== undefined && this.mfa.consumeTimeStep(userId, step, 'enabled');
  }

  /**
   * The time step a TOTP code is valid for under the user's stored secret, or undefined (not a code, a
   * wrong one, or a secret that the configured keys cannot decrypt, which is logged for the operator).
   */
  timeStepOf(userId: string, secretEncrypted: string, code: string): number | undefined {
    const totpCode = asTotpCode(code);
    if (totpCode === undefined) return undefined;
    let secret: string;
    try {
      secret = this.cipher.decrypt(secretEncrypted, userId);
    } catch (error) {
      this.logger.error(`The TOTP secret of user ${userId} cannot be decrypted: ${(error as Error).message}`);
      return undefined;
    }
    return matchingTimeStep(secret, totpCode);
  }
}
