import { Injectable, Logger, OnApplicationBootstrap } from '@nestjs/common';
import { AuditTrail } from '../audit/audit-trail.service';
import { AppConfig } from '../config/app-config';
import { InjectConfig } from '../config/config.module';
import { hasControlOrBidiOverride } from '../common/text';
import { User } from '../database/entities/user.entity';
import { normalizeEmail } from './email';
import { hashPassword } from './password-hasher';
import { passwordProblems } from './password-policy';
import { EmailTakenError, UsersRepository } from './users.repository';

/** How a superuser was made outside the API, as its audit event says (`via`). */
type ProvisionedVia = 'ADMIN_EMAIL' | 'cli';

/**
 * Superusers made outside the API: the initial admin from ADMIN_EMAIL / ADMIN_PASSWORD at start, and the
 * CLI's `create-admin`. Neither ever changes an existing user's password. Each is audited in the
 * transaction that makes it, with `actor: "system"` (no user acted; `actor_id` stays empty).
 */
@Injectable()
export class AdminProvisioningService implements OnApplicationBootstrap {
  private readonly logger = new Logger(AdminProvisioningService.name);

  constructor(
    private readonly users: UsersRepository,
    private readonly auditTrail: AuditTrail,
    @InjectConfig() private readonly config: AppConfig,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    if (this.config.initialAdmin) {
      await this.ensureInitialAdmin(this.config.initialAdmin.email, this.config.initialAdmin.password);
    }
  }

  userExists(email: string): Promise<boolean> {
    return this.users.existsByEmail(normalizeEmail(email));
  }

  /**
   * The CLI's create-admin: creates an active superuser, or promotes and activates the user with that e-mail
   * (password unchanged).
   */
  async createOrPromoteSuperuser(email: string, password: string | undefined, fullName: string): Promise<User> {
    const normalized = normalizeEmail(email);
    const existing = await this.users.findByEmailWithPassword(normalized);
    if (existing) {
      const promoted = await this.auditTrail.run(async (tx, record) => {
        if (!(await this.users.makeActiveSuperuser(existing.id, tx))) return false;
        await record('admin_action', {
          action: 'promote',
          actor: 'system',
          via: 'cli',
          target_id: existing.id,
          target_email: existing.email,
          is_active: true,
          is_superuser: true,
        });
        return true;
      });
      const user = promoted ? await this.users.loadById(existing.id) : null;
      if (!user) throw new Error(`User ${normalized} was deleted meanwhile`);
      return user;
    }
    if (password === undefined) {
      throw new Error(`No user ${normalized} exists: a password is needed to create one`);
    }
    const problems = passwordProblems(password);
    if (problems.length > 0) {
      throw new Error(`The admin password is not acceptable: ${problems.join('; ')}`);
    }
    // The rule sign-up applies to full_name: the name is the greeting of every e-mail's plain text.
    if (hasControlOrBidiOverride(fullName)) {
      throw new Error('The name must not contain control characters or bidirectional overrides');
    }
    return this.insertSuperuser(normalized, fullName, password, 'cli');
  }

  /** When no superuser exists, creates one from ADMIN_EMAIL; an existing user with that e-mail is left as it is. */
  private async ensureInitialAdmin(email: string, password: string): Promise<void> {
    if (await this.users.existsSuperuser()) {
      return;
    }
    const normalized = normalizeEmail(email);
    if (await this.users.existsByEmail(normalized)) {
      this.logger.warn(`ADMIN_EMAIL ${normalized} belongs to an existing user, who is left unchanged`);
      return;
    }
    const problems = passwordProblems(password);
    if (problems.length > 0) {
      throw new Error(`ADMIN_PASSWORD is not acceptable: ${problems.join('; ')}`);
    }
    try {
      await this.insertSuperuser(normalized, 'Administrator', password, 'ADMIN_EMAIL');
      this.logger.log(`Created the initial superuser ${normalized} from ADMIN_EMAIL`);
    } catch (error) {
      // Another instance starting at the same time created it first.
      if (!(error instanceof EmailTakenError)) throw error;
    }
  }

  private async insertSuperuser(email: string, fullName: string, password: string, via: ProvisionedVia): Promise<User> {
    const hashedPassword = await hashPassword(password);
    return this.auditTrail.run(async (tx, record) => {
      const user = await this.users.insertUser(
        { email, fullName, hashedPassword, status: 'active', isSuperuser: true, emailVerified: true },
        tx,
      );
      await record('user_created', {
        email,
        user_id: user.id,
        is_active: true,
        is_superuser: true,
        actor: 'system',
        via,
      });
      return user;
    });
  }
}
