import { Delete, HttpCode, HttpStatus, NotFoundException, Param, Post } from '@nestjs/common';
import { ApiAcceptedResponse, ApiNoContentResponse, ApiOperation } from '@nestjs/swagger';
import { AdminUsersRoutes, CurrentUser, UserIdParam } from '../auth/guards/decorators';
import { ClientIp } from '../common/client-ip';
import { parseIdOr404 } from '../common/id-param.pipes';
import { User } from '../database/entities/user.entity';
import { AcceptedResponseDto } from './dto/accepted-response.dto';
import { LockoutService } from './lockout.service';
import { PasswordService } from './password.service';

/** What an admin does for a user's account: send a reset link, end a lockout. */
@AdminUsersRoutes()
@UserIdParam()
export class AccountAdminController {
  constructor(
    private readonly passwords: PasswordService,
    private readonly lockout: LockoutService,
  ) {}

  @Post(':id/password-reset')
  @HttpCode(HttpStatus.ACCEPTED)
  @ApiOperation({ summary: 'E-mail the user a password reset link (replacing earlier ones)' })
  @ApiAcceptedResponse({ type: AcceptedResponseDto })
  async sendPasswordReset(
    @Param('id', parseIdOr404('User')) id: string,
    @CurrentUser() actor: User,
    @ClientIp() ip: string,
  ): Promise<AcceptedResponseDto> {
    await this.passwords.sendResetByAdmin(id, actor.id, ip);
    return { message: 'A password reset e-mail is on its way' };
  }

  @Delete(':id/lockout')
  @HttpCode(HttpStatus.NO_CONTENT)
  @ApiOperation({ summary: 'End the lockout after failed logins: the user can log in again at once' })
  @ApiNoContentResponse({ description: 'Unlocked (also when the account was not locked)' })
  async unlock(
    @Param('id', parseIdOr404('User')) id: string,
    @CurrentUser() actor: User,
    @ClientIp() ip: string,
  ): Promise<void> {
    if (!(await this.lockout.unlock(id, actor.id, ip))) throw new NotFoundException('User not found');
  }
}
