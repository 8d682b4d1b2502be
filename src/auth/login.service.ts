import { ForbiddenException, Injectable, UnauthorizedException } from '@nestjs/common';
import { randomBytes } from 'node:crypto';
import { SecurityLogService } from '../common/security-log.service';
import { User } from '../database/entities/user.entity';
import { SecondFactorVerifier } from '../mfa/second-factor.verifier';
import { AccessTokenService } from './access-token.service';
import { LoginDto } from './dto/login.dto';
import { TokenResponseDto } from './dto/token-response.dto';
import { hashPassword, verifyPassword } from './password-hasher';
import { UsersRepository } from './users.repository';

export const INCORRECT_CREDENTIALS = 'Incorrect email or password';
export const SECOND_FACTOR_REQUIRED = 'Second factor required';
export const INVALID_SECOND_FACTOR = 'Invalid second factor';

/** Exchanges an e-mail and password for an access token. */
@Injectable()
export class LoginService {
  /** Verified against when the e-mail is unknown, so that both failures cost one argon2 verify. */
  private readonly dummyHash: Promise<string> = hashPassword(randomBytes(16).toString('hex'));

  constructor(
    private readonly users: UsersRepository,
    private readonly tokens: AccessTokenService,
    private readonly securityLog: SecurityLogService,
    private readonly secondFactor: SecondFactorVerifier,
  ) {}

  /** 401 for an unknown e-mail and a wrong password alike; 403 for an inactive user only after the right password. */
  async login(dto: LoginDto, ip: string): Promise<TokenResponseDto> {
    const user = await this.users.findByEmailWithPassword(dto.email);
    const passwordMatches = await verifyPassword(user?.hashedPassword ?? (await this.dummyHash), dto.password);
    if (!user || !passwordMatches) {
      this.securityLog.log('login_failed', { ip, email: dto.email, reason: user ? 'wrong_password' : 'unknown_email' });
      throw new UnauthorizedException(INCORRECT_CREDENTIALS);
    }
    if (user.mfaEnabled) await this.checkSecondFactor(user, dto.otp, ip);
    if (!user.isActive) {
      this.securityLog.log('login_inactive_user', { ip, email: user.email, user_id: user.id, status: user.status });
      throw new ForbiddenException('Inactive user');
    }
    this.securityLog.log('login_succeeded', { ip, email: user.email, user_id: user.id });
    await this.users.recordLogin(user.id);
    return this.tokens.issue(user);
  }

  /**
   * After the right password of an account with a second factor: no `otp` → 401 with `mfa_required`; a
   * wrong one (TOTP or recovery code, or one already used) → 401 `Invalid second factor`, the one place a
   * wrong second factor is answered.
   */
  private async checkSecondFactor(user: User, otp: string | undefined, ip: string): Promise<void> {
    if (otp === undefined) {
      throw new UnauthorizedException({ message: SECOND_FACTOR_REQUIRED, mfa_required: true });
    }
    if (!(await this.secondFactor.verify(user.id, otp))) {
      this.securityLog.log('login_failed', { ip, email: user.email, user_id: user.id, reason: 'wrong_second_factor' });
      throw new UnauthorizedException(INVALID_SECOND_FACTOR);
    }
  }
}
