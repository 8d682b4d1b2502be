import { Delete, HttpCode, HttpStatus, Param } from '@nestjs/common';
import { ApiNoContentResponse, ApiOperation } from '@nestjs/swagger';
import { AdminUsersRoutes, CurrentUser, UserIdParam } from '../auth/guards/decorators';
import { ClientIp } from '../common/client-ip';
import { parseIdOr404 } from '../common/id-param.pipes';
import { User } from '../database/entities/user.entity';
import { MfaService } from './mfa.service';

@AdminUsersRoutes()
export class AdminMfaController {
  constructor(private readonly mfa: MfaService) {}

  @Delete(':id/mfa')
  @HttpCode(HttpStatus.NO_CONTENT)
  @ApiOperation({
    summary: "Remove a user's second factor (a lost phone)",
    description: 'The TOTP secret, a pending setup and the recovery codes are deleted; 204 also when there was none.',
  })
  @UserIdParam()
  @ApiNoContentResponse({ description: 'The user logs in with the password alone' })
  remove(@Param('id', parseIdOr404('User')) id: string, @CurrentUser() actor: User, @ClientIp() ip: string) {
    return this.mfa.removeByAdmin(actor, id, ip);
  }
}
