import { ForbiddenException, Injectable, UnauthorizedException } from '@nestjs/common';
import { randomBytes } from 'node:crypto';
import { LockoutService } from '../account/lockout.service';
import { SecurityLogService } from '../common/security-log.service';
import { AppConfig } from '../config/app-config';
import { InjectConfig } from '../config/config.module';
import { User } from '../database/entities/user.entity';
import { SecondFactorVerifier } from '../mfa/second-factor.verifier';
import { SessionsService } from '../sessions/sessions.service';
import { AccessTokenService } from './access-token.service';
import { LoginDto } from './dto/login.dto';
import { TokenResponseDto } from './dto/token-response.dto';
import { hashPassword, verifyPassword } from './password-hasher';
import { UsersRepository } from './users.repository';

export const INCORRECT_CREDENTIALS = 'Incorrect email or password';
export const SECOND_FACTOR_REQUIRED = 'Second factor required';
export const INVALID_SECOND_FACTOR = 'Invalid second factor';

/** Exchanges an e-mail and password for a new session's token pair. */
@Injectable()
export class LoginService {
  /** Verified against when the e-mail is unknown, so that both failures cost one argon2 verify. */
  private readonly dummyHash: Promise<string> = hashPassword(randomBytes(16).toString('hex'));

  constructor(
    private readonly users: UsersRepository,
    private readonly tokens: AccessTokenService,
    private readonly securityLog: SecurityLogService,
    private readonly sessions: SessionsService,
    private readonly lockout: LockoutService,
    @InjectConfig() private readonly config: AppConfig,
    private readonly secondFactor: SecondFactorVerifier,
  ) {}

  /**
   * 401 for an unknown e-mail, a wrong password and a locked account alike (the password is verified in
   * every case, so all three cost the same); 403 for an inactive user, then for an unverified address when
   * EMAIL_VERIFICATION=required, only after the right password.
   */
  async login(dto: LoginDto, ip: string, userAgent?: string): Promise<TokenResponseDto> {
    const user = await this.users.findByEmailWithPassword(dto.email);
    const passwordMatches = await verifyPassword(user?.hashedPassword ?? (await this.dummyHash), dto.password);
    const locked = user !== null && this.lockout.isLocked(user);
    if (!user || !passwordMatches || locked) {
      const reason = !user ? 'unknown_email' : locked ? 'account_locked' : 'wrong_password';
      this.securityLog.log('login_failed', { ip, email: dto.email, reason });
      if (user && !passwordMatches) await this.lockout.recordFailure(user, ip);
      throw new UnauthorizedException(INCORRECT_CREDENTIALS);
    }
    if (user.mfaEnabled) await this.checkSecondFactor(user, dto.otp, ip);
    if (!user.isActive) {
      this.securityLog.log('login_inactive_user', { ip, email: user.email, user_id: user.id, status: user.status });
      throw new ForbiddenException('Inactive user');
    }
    if (this.config.accountEmail.verification === 'required' && !user.emailVerified) {
      this.securityLog.log('login_unverified_email', { ip, email: user.email, user_id: user.id });
      throw new ForbiddenException('Email not verified');
    }
    this.securityLog.log('login_succeeded', { ip, email: user.email, user_id: user.id });
    await this.lockout.recordSuccess(user);
    await this.users.recordLogin(user.id);
    return this.tokens.issue(user.id, await this.sessions.open(user.id, { ip, userAgent }));
  }

  /**
   * After the right password of an account with a second factor: no `otp` → 401 with `mfa_required`; a
   * wrong one (TOTP or recovery code, or one already used) → 401 `Invalid second factor`, the one place a
   * wrong second factor is answered; it counts toward the lockout as a wrong password does.
   */
  private async checkSecondFactor(user: User, otp: string | undefined, ip: string): Promise<void> {
    if (otp === undefined) {
      throw new UnauthorizedException({ message: SECOND_FACTOR_REQUIRED, mfa_required: true });
    }
    if (!(await this.secondFactor.verify(user.id, otp))) {
      this.securityLog.log('login_failed', { ip, email: user.email, user_id: user.id, reason: 'wrong_second_factor' });
      await this.lockout.recordFailure(user, ip);
      throw new UnauthorizedException(INVALID_SECOND_FACTOR);
    }
  }
}
