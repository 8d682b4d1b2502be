import { ConflictException, Injectable, UnprocessableEntityException } from '@nestjs/common';
import { toString as qrCodeSvg } from 'qrcode';
import { LockoutService } from '../account/lockout.service';
import { verifyPassword } from '../auth/password-hasher';
import { UsersRepository } from '../auth/users.repository';
import { SecurityLogService } from '../common/security-log.service';
import { Transactions } from '../database/transactions';
import { User } from '../database/entities/user.entity';
import { AdminFactorPolicy } from '../passkeys/admin-factor-policy.service';
import { TotpDisableDto, TotpEnableResponseDto, TotpSetupResponseDto } from './dto/mfa.dto';
import { MfaRepository } from './mfa.repository';
import { generateRecoveryCodes, hashRecoveryCode } from './recovery-codes';
import { SecondFactorVerifier } from './second-factor.verifier';
import { SecretCipher } from './secret-cipher';
import { newTotpSecret, otpauthUrl } from './totp';

export const ALREADY_ENABLED = 'Second factor already enabled';
export const NOT_ENABLED = 'Second factor not enabled';
export const NO_SETUP_PENDING = 'No second factor setup pending: call setup first';
export const INVALID_CODE = 'code is not a valid authentication code';

/**
 * A user's TOTP second factor from setup to removal (checking it at login is SecondFactorVerifier's; an admin's
 * removal of a lost phone's factors is AdminSecondFactorsService's).
 */
@Injectable()
export class MfaService {
  constructor(
    private readonly mfa: MfaRepository,
    private readonly cipher: SecretCipher,
    private readonly verifier: SecondFactorVerifier,
    private readonly users: UsersRepository,
    private readonly transactions: Transactions,
    private readonly securityLog: SecurityLogService,
    private readonly lockout: LockoutService,
    private readonly adminFactors: AdminFactorPolicy,
  ) {}

  /** A new pending secret (replacing a pending one); 409 when a second factor is already enabled. */
  async setup(user: User): Promise<TotpSetupResponseDto> {
    const secret = newTotpSecret();
    if (!(await this.mfa.savePendingSecret(user.id, this.cipher.encrypt(secret, user.id)))) {
      throw new ConflictException(ALREADY_ENABLED);
    }
    const url = otpauthUrl(secret, user.email);
    return { secret, otpauth_url: url, qr_svg: await qrCodeSvg(url, { type: 'svg', errorCorrectionLevel: 'M' }) };
  }

  /** Enables the pending secret once a code of it is right; its time step counts as used. */
  async enable(user: User, code: string, ip: string): Promise<TotpEnableResponseDto> {
    const credential = await this.mfa.findCredential(user.id);
    if (credential?.enabled) throw new ConflictException(ALREADY_ENABLED);
    if (!credential) throw new ConflictException(NO_SETUP_PENDING);
    const step = this.verifier.timeStepOf(user.id, credential.secretEncrypted, code);
    if (step === undefined) throw new UnprocessableEntityException([INVALID_CODE]);
    const recoveryCodes = generateRecoveryCodes();
    await this.transactions.run(async (tx) => {
      // A concurrent enable with the same code, or a new setup meanwhile, makes this one fail.
      if (!(await this.mfa.consumeTimeStep(user.id, step, 'pending', tx))) {
        throw new UnprocessableEntityException([INVALID_CODE]);
      }
      await this.mfa.enable(user.id, recoveryCodes.map(hashRecoveryCode), tx);
    });
    this.securityLog.log('mfa_enabled', { ip, email: user.email, user_id: user.id });
    return { recovery_codes: recoveryCodes };
  }

  /**
   * Needs the password and a TOTP or recovery code (422 for either wrong); 409 without a second factor, or
   * when it is the last one of an admin that ADMIN_MFA_REQUIRED=any asks one of (AdminFactorPolicy). A
   * wrong one is logged and counts toward the lockout as a wrong password at login does: whoever holds a
   * stolen access token must not get an unlimited oracle for the password or the codes.
   */
  async disable(user: User, dto: TotpDisableDto, ip: string): Promise<void> {
    if (!user.mfaEnabled) throw new ConflictException(NOT_ENABLED);
    const withPassword = await this.users.findByEmailWithPassword(user.email);
    if (!withPassword || !(await verifyPassword(withPassword.hashedPassword, dto.password))) {
      await this.refuseDisable(withPassword ?? user, 'wrong_password', ip);
      throw new UnprocessableEntityException(['password is incorrect']);
    }
    if (!(await this.verifier.verify(user.id, dto.code))) {
      await this.refuseDisable(withPassword, 'wrong_code', ip);
      throw new UnprocessableEntityException(['code is not a valid authentication or recovery code']);
    }
    await this.transactions.run(async (tx) => {
      await this.adminFactors.lockFactorsOf(user.id, tx);
      await this.mfa.removeSecondFactor(user.id, tx);
      await this.adminFactors.refuseLeavingUnprotected(user.id, 'totp', tx);
    });
    this.securityLog.log('mfa_disabled', { ip, email: user.email, user_id: user.id });
  }

  private async refuseDisable(user: User, reason: 'wrong_password' | 'wrong_code', ip: string): Promise<void> {
    this.securityLog.log('mfa_disable_failed', { ip, email: user.email, user_id: user.id, reason });
    await this.lockout.recordFailure(user, ip);
  }
}
