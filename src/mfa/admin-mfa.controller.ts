import { Delete, Get, HttpCode, HttpStatus, Param } from '@nestjs/common';
import {
  ApiConflictResponse,
  ApiNoContentResponse,
  ApiNotFoundResponse,
  ApiOkResponse,
  ApiOperation,
  ApiParam,
} from '@nestjs/swagger';
import { AdminUsersRoutes, CurrentUser, UserIdParam } from '../auth/guards/decorators';
import { ClientIp } from '../common/client-ip';
import { ErrorResponseDto } from '../common/error-response.dto';
import { parseIdOr404 } from '../common/id-param.pipes';
import { User } from '../database/entities/user.entity';
import { PasskeyResponseDto } from '../passkeys/dto/passkey.dto';
import { AdminSecondFactorsService } from './admin-second-factors.service';

const OwnLastFactor = () =>
  ApiConflictResponse({
    description:
      'The admin acted on their own account and it would leave them without the second factor ADMIN_MFA_REQUIRED ' +
      'asks of them, as on their own routes',
    type: ErrorResponseDto,
  });

/** The admins' help with a user's second factors (a lost or stolen phone): all at once, or one passkey. */
@AdminUsersRoutes()
@UserIdParam()
export class AdminMfaController {
  constructor(private readonly secondFactors: AdminSecondFactorsService) {}

  @Delete(':id/mfa')
  @HttpCode(HttpStatus.NO_CONTENT)
  @ApiOperation({
    summary: 'Remove every second factor of a user (a lost phone): TOTP, recovery codes and passkeys',
    description:
      'The TOTP secret (enabled or pending), the recovery codes and every passkey are deleted; 204 also when there ' +
      'was none. The sessions stay: end them with `DELETE /api/admin/users/{id}/sessions` when the phone was stolen.',
  })
  @ApiNoContentResponse({ description: 'The user signs in with the password alone' })
  @OwnLastFactor()
  removeAll(@Param('id', parseIdOr404('User')) id: string, @CurrentUser() actor: User, @ClientIp() ip: string) {
    return this.secondFactors.removeAll(actor, id, ip);
  }

  @Get(':id/passkeys')
  @ApiOperation({ summary: "A user's passkeys, oldest first, as `GET /api/auth/passkeys` shows them to the user" })
  @ApiOkResponse({ type: [PasskeyResponseDto] })
  async listPasskeys(@Param('id', parseIdOr404('User')) id: string): Promise<PasskeyResponseDto[]> {
    return (await this.secondFactors.listPasskeys(id)).map((passkey) => PasskeyResponseDto.from(passkey));
  }

  @Delete(':id/passkeys/:passkeyId')
  @HttpCode(HttpStatus.NO_CONTENT)
  @ApiOperation({
    summary: "Remove one of a user's passkeys (the lost device's)",
    description:
      'It no longer signs in; the other passkeys, TOTP and the sessions stay. Logged as `admin_action` ' +
      '`remove_passkey` and `passkey_removed` with `actor_id`.',
  })
  @ApiParam({ name: 'passkeyId', format: 'uuid' })
  @ApiNoContentResponse({ description: 'Removed' })
  @ApiNotFoundResponse({
    description: "Unknown or malformed user id; unknown, malformed or another user's passkey id",
    type: ErrorResponseDto,
  })
  @OwnLastFactor()
  removePasskey(
    @Param('id', parseIdOr404('User')) id: string,
    @Param('passkeyId', parseIdOr404('Passkey')) passkeyId: string,
    @CurrentUser() actor: User,
    @ClientIp() ip: string,
  ): Promise<void> {
    return this.secondFactors.removePasskey(actor, id, passkeyId, ip);
  }
}
