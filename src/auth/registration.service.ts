import { ConflictException, Injectable, UnprocessableEntityException } from '@nestjs/common';
import { SignupNoticesService } from '../account/signup-notices.service';
import { SecurityLogService } from '../common/security-log.service';
import { AppConfig } from '../config/app-config';
import { InjectConfig } from '../config/config.module';
import { User, UserStatus } from '../database/entities/user.entity';
import { Transactions } from '../database/transactions';
import { RegisterDto } from './dto/register.dto';
import { hashPassword } from './password-hasher';
import { EmailTakenError, UsersRepository } from './users.repository';

/**
 * Sign-up. Who may call it is RegistrationModeGuard's business; here: users are pending in `approval` mode
 * and active otherwise, only allowed domains register, and privileges are never taken from the request.
 */
@Injectable()
export class RegistrationService {
  constructor(
    private readonly users: UsersRepository,
    private readonly securityLog: SecurityLogService,
    @InjectConfig() private readonly config: AppConfig,
    private readonly transactions: Transactions,
    private readonly signupNotices: SignupNoticesService,
  ) {}

  /** `actor`: the superuser registering the user in `admin_only` mode. */
  async register(dto: RegisterDto, ip: string, actor?: User): Promise<User> {
    const mode = this.config.registrationMode;
    this.securityLog.log('registration_attempt', { ip, email: dto.email, mode });
    const domain = dto.email.slice(dto.email.lastIndexOf('@') + 1);
    const allowed = this.config.registrationAllowedDomains;
    if (allowed.length > 0 && !allowed.includes(domain)) {
      this.securityLog.log('registration_rejected', { ip, email: dto.email, reason: 'domain_not_allowed' });
      throw new UnprocessableEntityException(['email domain is not allowed to register']);
    }
    const status: UserStatus = mode === 'approval' ? 'pending' : 'active';
    const hashedPassword = await hashPassword(dto.password);
    try {
      // The e-mails a sign-up causes (verification link, admins' notice) commit with the user or not at all.
      const user = await this.transactions.run(async (tx) => {
        const inserted = await this.users.insertUser(
          { email: dto.email, fullName: dto.full_name, hashedPassword, status, isSuperuser: false },
          tx,
        );
        await this.signupNotices.onSignUp(inserted, tx);
        return inserted;
      });
      this.securityLog.log('user_created', {
        ip,
        email: user.email,
        user_id: user.id,
        is_active: user.isActive,
        actor_id: actor?.id,
      });
      return user;
    } catch (error) {
      if (error instanceof EmailTakenError) {
        this.securityLog.log('registration_rejected', { ip, email: dto.email, reason: 'email_taken' });
        throw new ConflictException('Email already registered');
      }
      throw error;
    }
  }
}
