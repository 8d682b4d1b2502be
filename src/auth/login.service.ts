import { ForbiddenException, Injectable, UnauthorizedException } from '@nestjs/common';
import { randomBytes } from 'node:crypto';
import { LockoutService } from '../account/lockout.service';
import { SecurityLogService } from '../common/security-log.service';
import { AppConfig } from '../config/app-config';
import { InjectConfig } from '../config/config.module';
import { User } from '../database/entities/user.entity';
import { Transactions } from '../database/transactions';
import { KnownDevice } from '../devices/known-devices.repository';
import { KnownDevicesService } from '../devices/known-devices.service';
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

/**
 * LoginService.signIn's refusal when the lock the sign-in is held to (the account's, or its known device's)
 * landed after the caller read it as open: nothing was written, and the caller answers as it answers a lock.
 */
export class LockedAtSignInError extends Error {
  constructor(readonly reason: 'account_locked' | 'device_locked') {
    super(`Sign-in refused: ${reason}`);
  }
}

/** Where a login comes from: the client address, its User-Agent, and the device cookie it sent, if any. */
export interface LoginClient {
  ip: string;
  userAgent?: string;
  deviceCookie?: string;
}

/** A successful login: the new session's tokens, and the device cookie to set for the next ones. */
export interface LoginResult {
  tokens: TokenResponseDto;
  deviceCookie: string;
}

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
    private readonly knownDevices: KnownDevicesService,
    private readonly transactions: Transactions,
  ) {}

  /**
   * 401 for an unknown e-mail, a wrong password and a locked account alike (the password is verified in
   * every case, so all three cost the same); 403 for an inactive user, then for an unverified address when
   * EMAIL_VERIFICATION=required, only after the right password. A request from a known device of the
   * account (its device cookie) is held to that device's lock instead of the account's (LockoutService).
   * The device is looked for with the user, in one query, before the password is verified; a lock that lands
   * while the password is verified still refuses the login, as signIn checks it again in its last write.
   */
  async login(dto: LoginDto, client: LoginClient): Promise<LoginResult> {
    const { ip } = client;
    const { user, device } = await this.users.findForLogin(dto.email, this.knownDevices.lookupOf(client.deviceCookie));
    const passwordMatches = await verifyPassword(user?.hashedPassword ?? (await this.dummyHash), dto.password);
    const locked = user !== null && this.lockout.isLocked(user, device);
    if (!user || !passwordMatches || locked) {
      const reason = !user ? 'unknown_email' : !locked ? 'wrong_password' : lockReason(device);
      this.logFailure(dto.email, ip, reason, device);
      if (user && !passwordMatches) await this.lockout.recordFailure(user, ip, device);
      throw new UnauthorizedException(INCORRECT_CREDENTIALS);
    }
    if (user.mfaEnabled) await this.checkSecondFactor(user, dto.otp, ip, device);
    try {
      return await this.signIn(user, client, device);
    } catch (error) {
      if (!(error instanceof LockedAtSignInError)) throw error;
      // Locked while the password was verified (concurrent guesses): answered as a lock read before it is.
      this.logFailure(dto.email, ip, error.reason, device);
      throw new UnauthorizedException(INCORRECT_CREDENTIALS);
    }
  }

  /** The `login_failed` line of a refused password login. */
  private logFailure(email: string, ip: string, reason: string, device: KnownDevice | undefined): void {
    this.securityLog.log('login_failed', { ip, email, reason, ...deviceField(device) });
  }

  /**
   * Every way of signing in ends here once the user has proven who they are (a password and second factor,
   * or a passkey): 403 for an inactive user, then for an unverified address when EMAIL_VERIFICATION=required;
   * otherwise the failure count starts over, and a new session and the device cookie are issued. `logFields`
   * say how the user signed in, on the log lines. LockedAtSignInError, with nothing written, when the lock the
   * sign-in is held to (LockoutService.isLocked's) is in force by the time it writes: the caller's read of it is
   * older than the credential's check, and a lock that landed meanwhile must still refuse.
   */
  async signIn(
    user: User,
    client: LoginClient,
    device: KnownDevice | undefined,
    logFields: Record<string, string> = {},
  ): Promise<LoginResult> {
    const { ip, userAgent } = client;
    if (!user.isActive) {
      this.securityLog.log('login_inactive_user', {
        ip,
        email: user.email,
        user_id: user.id,
        status: user.status,
        ...logFields,
      });
      throw new ForbiddenException('Inactive user');
    }
    if (this.config.accountEmail.verification === 'required' && !user.emailVerified) {
      this.securityLog.log('login_unverified_email', { ip, email: user.email, user_id: user.id, ...logFields });
      throw new ForbiddenException('Email not verified');
    }
    // One transaction, so one commit (one WAL flush) for the sign-in's two or three writes instead of one
    // each: they cost PostgreSQL more CPU than the rest of a login besides hashing (docs/BENCHMARKS.md).
    const { session, signedIn } = await this.transactions.run(async (tx) => {
      const remembered = await this.knownDevices.rememberSignIn(user, device, { ip, userAgent }, tx);
      const opened = await this.sessions.open(user.id, { ip, userAgent }, remembered.deviceId, tx);
      // Last, so that the user's row stays locked (concurrent logins of the account wait) only until the commit;
      // every other writer of a user's row and its devices' follows this order (KnownDevicesRepository).
      // The lock it is held to is checked again here, as it stands now: callers read it before the password or
      // passkey was verified, and concurrent guesses may have locked the account or device since.
      if (!(await this.users.recordLogin(user.id, this.lockout.loginRecordOf(device), tx))) {
        throw new LockedAtSignInError(lockReason(device)); // rolls the transaction back: no session, no device
      }
      return { session: opened, signedIn: remembered };
    });
    // Logged once committed: a sign-in whose transaction failed (its client got an error) must not read as one.
    this.securityLog.log('login_succeeded', {
      ip,
      email: user.email,
      user_id: user.id,
      ...deviceField(device),
      ...logFields,
    });
    this.knownDevices.logNewDevice(user, signedIn, ip);
    return { tokens: this.tokens.issue(user.id, session), deviceCookie: signedIn.cookie };
  }

  /**
   * After the right password of an account with a second factor: no `otp` → 401 with `mfa_required`; a
   * wrong one (TOTP or recovery code, or one already used) → 401 `Invalid second factor`, the one place a
   * wrong second factor is answered; it counts toward the lockout as a wrong password does.
   */
  private async checkSecondFactor(
    user: User,
    otp: string | undefined,
    ip: string,
    device: KnownDevice | undefined,
  ): Promise<void> {
    if (otp === undefined) {
      throw new UnauthorizedException({ message: SECOND_FACTOR_REQUIRED, mfa_required: true });
    }
    if (!(await this.secondFactor.verify(user.id, otp))) {
      this.securityLog.log('login_failed', {
        ip,
        email: user.email,
        user_id: user.id,
        reason: 'wrong_second_factor',
        ...deviceField(device),
      });
      await this.lockout.recordFailure(user, ip, device);
      throw new UnauthorizedException(INVALID_SECOND_FACTOR);
    }
  }
}

/** Why a login held to a lock in force is refused: the device's lock from a known device, else the account's. */
export function lockReason(device: KnownDevice | undefined): 'account_locked' | 'device_locked' {
  return device ? 'device_locked' : 'account_locked';
}

/** The known device a login came from, for its log lines (nothing when none). */
export function deviceField(device: KnownDevice | undefined): { device_id?: string } {
  return device ? { device_id: device.id } : {};
}
