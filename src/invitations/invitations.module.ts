import { Module } from '@nestjs/common';
import { AuthModule } from '../auth/auth.module';
import { InvitationAcceptController } from './invitation-accept.controller';
import { InvitationsAdminController } from './invitations-admin.controller';
import { InvitationsRepository } from './invitations.repository';
import { InvitationsService } from './invitations.service';

/** Admins' invitations by e-mail, and the public route that turns one into an account. */
@Module({
  imports: [AuthModule],
  controllers: [InvitationsAdminController, InvitationAcceptController],
  providers: [InvitationsService, InvitationsRepository],
})
export class InvitationsModule {}
