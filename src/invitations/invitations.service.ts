import { BadRequestException, ConflictException, Injectable, NotFoundException } from '@nestjs/common';
import { AuditTrail } from '../audit/audit-trail.service';
import { hashPassword } from '../auth/password-hasher';
import { EmailTakenError, UsersRepository } from '../auth/users.repository';
import { newSecretToken, sha256 } from '../common/secret-token';
import { Page } from '../common/total-count';
import { AppConfig } from '../config/app-config';
import { InjectConfig } from '../config/config.module';
import { User } from '../database/entities/user.entity';
import { MailService } from '../mail/mail.service';
import { AcceptInvitationDto } from './dto/accept-invitation.dto';
import { Invitation, invitationStatus } from './invitation';
import { InvitationsRepository } from './invitations.repository';
import { invitationEmail } from './emails/invitation.email';

export const INVALID_TOKEN = 'Invalid or expired token';
export const EMAIL_TAKEN = 'Email already registered';

/** The admin who acts, and from where. */
export interface InvitingAdmin {
  id: string;
  ip: string;
}

/**
 * Invitations: an admin invites an address (the e-mail carries a single-use link), the invited person
 * chooses a name and password and has an active account at once, whatever REGISTRATION_MODE says: the admin
 * vouched for the address, and following the link proves the mailbox. Each change, its audit row and its
 * e-mail are stored by one transaction.
 */
@Injectable()
export class InvitationsService {
  constructor(
    private readonly invitations: InvitationsRepository,
    private readonly users: UsersRepository,
    private readonly auditTrail: AuditTrail,
    private readonly mail: MailService,
    @InjectConfig() private readonly config: AppConfig,
  ) {}

  /** A new invitation, replacing the address's pending one; 409 when the address already has an account. */
  invite(admin: InvitingAdmin, email: string, isSuperuser: boolean): Promise<Invitation> {
    const ttlSeconds = this.config.accountEmail.invitationTtlSeconds;
    return this.auditTrail.run(async (tx, record) => {
      await this.invitations.lockAddress(email, tx);
      if (await this.users.existsByEmail(email)) throw new ConflictException(EMAIL_TAKEN);
      const replaced = await this.invitations.revokePendingFor(email, tx);
      const { token, hash } = newSecretToken();
      const invitation = await this.invitations.insert(
        { email, isSuperuser, invitedBy: admin.id, tokenHash: hash, ttlSeconds },
        tx,
      );
      await this.mail.enqueue(invitationEmail(email, isSuperuser, token, ttlSeconds, this.config.publicUrl), tx);
      await record('invitation_created', {
        ip: admin.ip,
        actor_id: admin.id,
        invitation_id: invitation.id,
        email,
        is_superuser: isSuperuser,
        expires_at: invitation.expiresAt.toISOString(),
        replaced,
      });
      return invitation;
    });
  }

  /** Newest first. */
  list(skip: number, limit: number): Promise<Page<Invitation>> {
    return this.invitations.findPage(skip, limit);
  }

  /** Revokes a pending invitation: its link stops working. 404 unknown id, 409 no longer pending. */
  revoke(admin: InvitingAdmin, id: string): Promise<Invitation> {
    return this.auditTrail.run(async (tx, record) => {
      const outcome = await this.invitations.revokeIfPending(id, tx);
      if (!outcome) throw new NotFoundException('Invitation not found');
      if (!outcome.revoked) {
        throw new ConflictException(`Invitation is ${invitationStatus(outcome.invitation)}, not pending`);
      }
      await record('invitation_revoked', {
        ip: admin.ip,
        actor_id: admin.id,
        invitation_id: id,
        email: outcome.invitation.email,
      });
      return outcome.invitation;
    });
  }

  /**
   * Creates the invited account, active, its address verified, a superuser if so invited; spends the
   * invitation. 400 for a token that is unknown, spent, revoked or expired, or whose admin is no longer an
   * active superuser (an invitation carries its sender's trust); 409 when an account with the
   * address was made since (the invitation stays pending: revoking it is the admin's call).
   */
  async accept(dto: AcceptInvitationDto, ip: string): Promise<User> {
    // Hashed before the transaction: the invitation's row stays locked only for a few statements.
    const hashedPassword = await hashPassword(dto.password);
    return this.auditTrail.run(async (tx, record) => {
      const invitation = await this.invitations.acceptPending(sha256(dto.token), tx);
      if (!invitation) throw new BadRequestException(INVALID_TOKEN);
      let user: User;
      try {
        user = await this.users.insertUser(
          {
            email: invitation.email,
            fullName: dto.full_name,
            hashedPassword,
            status: 'active',
            isSuperuser: invitation.isSuperuser,
            emailVerified: true,
          },
          tx,
        );
      } catch (error) {
        if (error instanceof EmailTakenError) throw new ConflictException(EMAIL_TAKEN);
        throw error;
      }
      await this.invitations.recordAcceptedUser(invitation.id, user.id, tx);
      await record('user_created', {
        ip,
        email: user.email,
        user_id: user.id,
        is_active: true,
        is_superuser: user.isSuperuser,
        via: 'invitation',
        invitation_id: invitation.id,
        actor_id: invitation.invitedBy ?? undefined,
      });
      return user;
    });
  }
}
