import { ForbiddenException, Injectable, UnauthorizedException } from '@nestjs/common';
import { randomBytes } from 'node:crypto';
import { SecurityLogService } from '../common/security-log.service';
import { SessionsService } from '../sessions/sessions.service';
import { AccessTokenService } from './access-token.service';
import { LoginDto } from './dto/login.dto';
import { TokenResponseDto } from './dto/token-response.dto';
import { hashPassword, verifyPassword } from './password-hasher';
import { UsersRepository } from './users.repository';

export const INCORRECT_CREDENTIALS = 'Incorrect email or password';

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
  ) {}

  /** 401 for an unknown e-mail and a wrong password alike; 403 for an inactive user only after the right password. */
  async login(dto: LoginDto, ip: string, userAgent?: string): Promise<TokenResponseDto> {
    const user = await this.users.findByEmailWithPassword(dto.email);
    const passwordMatches = await verifyPassword(user?.hashedPassword ?? (await this.dummyHash), dto.password);
    if (!user || !passwordMatches) {
      this.securityLog.log('login_failed', { ip, email: dto.email, reason: user ? 'wrong_password' : 'unknown_email' });
      throw new UnauthorizedException(INCORRECT_CREDENTIALS);
    }
    if (!user.isActive) {
      this.securityLog.log('login_inactive_user', { ip, email: user.email, user_id: user.id, status: user.status });
      throw new ForbiddenException('Inactive user');
    }
    this.securityLog.log('login_succeeded', { ip, email: user.email, user_id: user.id });
    await this.users.recordLogin(user.id);
    return this.tokens.issue(user.id, await this.sessions.open(user.id, { ip, userAgent }));
  }
}
