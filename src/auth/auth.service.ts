import {
  ConflictException,
  ForbiddenException,
  Injectable,
  Logger,
  OnApplicationBootstrap,
  UnauthorizedException,
  UnprocessableEntityException,
} from '@nestjs/common';
import { JwtService } from '@nestjs/jwt';
import { InjectRepository } from '@nestjs/typeorm';
import { randomBytes } from 'node:crypto';
import { QueryFailedError, Repository } from 'typeorm';
import { SecurityLogService } from '../common/security-log.service';
import { AppConfig } from '../config/app-config';
import { InjectConfig } from '../config/config.module';
import { User, UserStatus } from '../database/entities/user.entity';
import { LoginDto } from './dto/login.dto';
import { RegisterDto } from './dto/register.dto';
import { TokenResponseDto } from './dto/token-response.dto';
import { normalizeEmail } from './email';
import { hashPassword, verifyPassword } from './password-hasher';
import { passwordProblems } from './password-policy';

export const INCORRECT_CREDENTIALS = 'Incorrect email or password';
export const ADMIN_REQUIRED = 'Admin privileges required';
const UNIQUE_VIOLATION = '23505';

interface TokenPayload {
  sub: string;
}

@Injectable()
export class AuthService implements OnApplicationBootstrap {
  private readonly logger = new Logger(AuthService.name);
  /** Verified against when the e-mail is unknown, so that both failures cost one argon2 verify. */
  private readonly dummyHash: Promise<string> = hashPassword(randomBytes(16).toString('hex'));

  constructor(
    @InjectRepository(User) private readonly users: Repository<User>,
    private readonly jwt: JwtService,
    private readonly securityLog: SecurityLogService,
    @InjectConfig() private readonly config: AppConfig,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    if (this.config.initialAdmin) {
      await this.ensureInitialAdmin(this.config.initialAdmin.email, this.config.initialAdmin.password);
    }
  }

  /**
   * Self-registration (or, in `admin_only` mode, registration by a superuser, checked by the caller).
   * Users are pending in `approval` mode and active otherwise; privileges are never taken from the request.
   */
  async register(dto: RegisterDto, ip: string, bearerToken?: string): Promise<User> {
    const mode = this.config.registrationMode;
    this.securityLog.log('registration_attempt', { ip, email: dto.email, mode });
    const actor = mode === 'admin_only' ? await this.requireSuperuser(bearerToken, ip) : undefined;
    const domain = dto.email.slice(dto.email.lastIndexOf('@') + 1);
    const allowed = this.config.registrationAllowedDomains;
    if (allowed.length > 0 && !allowed.includes(domain)) {
      this.securityLog.log('registration_rejected', { ip, email: dto.email, reason: 'domain_not_allowed' });
      throw new UnprocessableEntityException(['email domain is not allowed to register']);
    }
    const status: UserStatus = mode === 'approval' ? 'pending' : 'active';
    try {
      const user = await this.insertUser(dto.email, dto.full_name, dto.password, status, false);
      this.securityLog.log('user_created', {
        ip,
        email: user.email,
        user_id: user.id,
        is_active: user.isActive,
        actor_id: actor?.id,
      });
      return user;
    } catch (error) {
      if (isUniqueViolation(error)) {
        this.securityLog.log('registration_rejected', { ip, email: dto.email, reason: 'email_taken' });
        throw new ConflictException('Email already registered');
      }
      throw error;
    }
  }

  async login(dto: LoginDto, ip: string): Promise<TokenResponseDto> {
    const user = await this.users.findOneBy({ email: dto.email });
    const passwordMatches = await verifyPassword(user?.hashedPassword ?? (await this.dummyHash), dto.password);
    if (!user || !passwordMatches) {
      this.securityLog.log('login_failed', {
        ip,
        email: dto.email,
        reason: user ? 'wrong_password' : 'unknown_email',
      });
      throw new UnauthorizedException(INCORRECT_CREDENTIALS);
    }
    if (!user.isActive) {
      this.securityLog.log('login_inactive_user', { ip, email: user.email, user_id: user.id, status: user.status });
      throw new ForbiddenException('Inactive user');
    }
    this.securityLog.log('login_succeeded', { ip, email: user.email, user_id: user.id });
    const payload: TokenPayload = { sub: user.id };
    return {
      access_token: await this.jwt.signAsync(payload),
      token_type: 'bearer',
      expires_in: this.config.jwtExpiresInSeconds,
    };
  }

  /**
   * The user behind a bearer token, reloaded on every request so that deactivation and demotion take
   * effect on the very next one. Throws 401 for a bad, expired or revoked token.
   */
  async authenticate(token: string): Promise<User> {
    let payload: TokenPayload;
    try {
      payload = await this.jwt.verifyAsync<TokenPayload>(token);
    } catch {
      throw new UnauthorizedException('Invalid or expired token');
    }
    const user = typeof payload.sub === 'string' ? await this.findById(payload.sub) : null;
    if (!user || !user.isActive) {
      throw new UnauthorizedException('Invalid or expired token');
    }
    return user;
  }

  private async requireSuperuser(bearerToken: string | undefined, ip: string): Promise<User> {
    if (!bearerToken) {
      this.securityLog.log('registration_rejected', { ip, reason: 'admin_token_required' });
      throw new UnauthorizedException('Registration requires an administrator token');
    }
    const user = await this.authenticate(bearerToken);
    if (!user.isSuperuser) {
      this.securityLog.log('admin_access_denied', { ip, user_id: user.id, email: user.email, action: 'register' });
      throw new ForbiddenException(ADMIN_REQUIRED);
    }
    return user;
  }

  userExists(email: string): Promise<boolean> {
    return this.users.existsBy({ email: normalizeEmail(email) });
  }

  /** Creates an active superuser, or promotes and activates the user with that e-mail. */
  async createOrPromoteSuperuser(email: string, password: string | undefined, fullName: string): Promise<User> {
    const normalized = normalizeEmail(email);
    const existing = await this.users.findOneBy({ email: normalized });
    if (existing) {
      await this.users.update(existing.id, { isSuperuser: true, status: 'active' });
      return (await this.findById(existing.id))!;
    }
    if (password === undefined) {
      throw new Error(`No user ${normalized} exists: a password is needed to create one`);
    }
    const problems = passwordProblems(password);
    if (problems.length > 0) {
      throw new Error(`The admin password is not acceptable: ${problems.join('; ')}`);
    }
    return this.insertUser(normalized, fullName, password, 'active', true);
  }

  private async ensureInitialAdmin(email: string, password: string): Promise<void> {
    if (await this.users.existsBy({ isSuperuser: true })) {
      return;
    }
    const normalized = normalizeEmail(email);
    if (await this.users.existsBy({ email: normalized })) {
      this.logger.warn(`ADMIN_EMAIL ${normalized} belongs to an existing user, who is left unchanged`);
      return;
    }
    const problems = passwordProblems(password);
    if (problems.length > 0) {
      throw new Error(`ADMIN_PASSWORD is not acceptable: ${problems.join('; ')}`);
    }
    try {
      await this.insertUser(normalized, 'Administrator', password, 'active', true);
      this.logger.log(`Created the initial superuser ${normalized} from ADMIN_EMAIL`);
    } catch (error) {
      // Another instance starting at the same time created it first.
      if (!isUniqueViolation(error)) throw error;
    }
  }

  /**
   * A user without the password hash, as one plain primary-key query: it runs on every authenticated
   * request, where TypeORM's findOneBy cost ~4× as much CPU per call (docs/BENCHMARKS.md).
   */
  private async findById(id: string): Promise<User | null> {
    const rows: Array<Record<string, unknown>> = await this.users.query(
      'SELECT id, email, full_name, status, is_superuser, created_at, updated_at FROM users WHERE id = $1',
      [id],
    );
    if (rows.length === 0) return null;
    const [row] = rows;
    return this.users.create({
      id: row.id as string,
      email: row.email as string,
      fullName: row.full_name as string,
      status: row.status as UserStatus,
      isSuperuser: row.is_superuser as boolean,
      createdAt: row.created_at as Date,
      updatedAt: row.updated_at as Date,
    });
  }


  private async insertUser(
    email: string,
    fullName: string,
    password: string,
    status: UserStatus,
    isSuperuser: boolean,
  ): Promise<User> {
    const hashedPassword = await hashPassword(password);
    return this.users.save(this.users.create({ email, fullName, hashedPassword, status, isSuperuser }));
  }
}

function isUniqueViolation(error: unknown): boolean {
  return error instanceof QueryFailedError && (error.driverError as { code?: string }).code === UNIQUE_VIOLATION;
}
