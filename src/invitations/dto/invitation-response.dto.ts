import { ApiProperty } from '@nestjs/swagger';
import { Invitation, INVITATION_STATUSES, InvitationStatus, invitationStatus } from '../invitation';

/** An invitation as the admins' routes show it: never its token. */
export class InvitationResponseDto {
  @ApiProperty({ format: 'uuid' })
  id: string;

  @ApiProperty({ example: 'new.colleague@example.com' })
  email: string;

  @ApiProperty({ description: 'Whether the account it creates is a superuser' })
  is_superuser: boolean;

  @ApiProperty({
    type: 'string',
    format: 'uuid',
    nullable: true,
    description: 'The admin who sent it (null once that account is deleted)',
  })
  invited_by: string | null;

  @ApiProperty({ format: 'date-time' })
  created_at: string;

  @ApiProperty({ format: 'date-time' })
  expires_at: string;

  @ApiProperty({
    enum: INVITATION_STATUSES,
    description:
      '`pending`: the link works; `accepted`: an account was made from it; `revoked`: by an admin, or replaced ' +
      'by a newer invitation to the same address; `expired`: past expires_at unused',
  })
  status: InvitationStatus;

  static from(invitation: Invitation): InvitationResponseDto {
    return {
      id: invitation.id,
      email: invitation.email,
      is_superuser: invitation.isSuperuser,
      invited_by: invitation.invitedBy,
      created_at: invitation.createdAt.toISOString(),
      expires_at: invitation.expiresAt.toISOString(),
      status: invitationStatus(invitation),
    };
  }
}
