import { Injectable } from '@nestjs/common';
import { EntityManager } from 'typeorm';
import { AppConfig } from '../config/app-config';
import { InjectConfig } from '../config/config.module';
import { User } from '../database/entities/user.entity';
import { newSecretToken } from '../common/secret-token';
import { MailService } from '../mail/mail.service';
import { EmailTokensRepository } from './email-tokens.repository';
import { accountLockedEmail } from './emails/account-locked.email';
import { passwordResetEmail } from './emails/password-reset.email';
import { verifyEmailEmail } from './emails/verify-email.email';

/**
 * The e-mails that carry a token: each stores a fresh token and queues its message inside the caller's
 * transaction, so the link exists exactly when the e-mail is on its way. The token never leaves this class
 * except inside the message.
 */
@Injectable()
export class AccountMailer {
  constructor(
    private readonly tokens: EmailTokensRepository,
    private readonly mail: MailService,
    @InjectConfig() private readonly config: AppConfig,
  ) {}

  async sendVerification(user: User, tx: EntityManager): Promise<void> {
    const ttl = this.config.accountEmail.verificationTtlSeconds;
    const { token, hash } = newSecretToken();
    await this.tokens.insertToken('email_verification', user.id, hash, ttl, false, tx);
    await this.mail.enqueue(verifyEmailEmail(user, token, ttl, this.config.publicUrl), tx);
  }

  /** A reset link; it replaces every earlier unused one of the user. */
  async sendPasswordReset(user: User, tx: EntityManager): Promise<void> {
    const token = await this.newResetToken(user.id, tx);
    await this.mail.enqueue(
      passwordResetEmail(user, token, this.config.accountEmail.passwordResetTtlSeconds, this.config.publicUrl),
      tx,
    );
  }

  /** Tells the owner the account is locked, with a reset link (which also unlocks it). */
  async sendAccountLocked(user: User, lockedUntil: Date, tx: EntityManager): Promise<void> {
    const token = await this.newResetToken(user.id, tx);
    const ttl = this.config.accountEmail.passwordResetTtlSeconds;
    await this.mail.enqueue(accountLockedEmail(user, lockedUntil, token, ttl, this.config.publicUrl), tx);
  }

  private async newResetToken(userId: string, tx: EntityManager): Promise<string> {
    const { token, hash } = newSecretToken();
    await this.tokens.insertToken(
      'password_reset',
      userId,
      hash,
      this.config.accountEmail.passwordResetTtlSeconds,
      true,
      tx,
    );
    return token;
  }
}
