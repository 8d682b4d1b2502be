import { Body, Controller, HttpCode, HttpStatus, Post, UseGuards } from '@nestjs/common';
import {
  ApiConflictResponse,
  ApiNoContentResponse,
  ApiOkResponse,
  ApiOperation,
  ApiTags,
  ApiTooManyRequestsResponse,
  ApiUnprocessableEntityResponse,
} from '@nestjs/swagger';
import { Authenticated, CurrentUser } from '../auth/guards/decorators';
import { ClientIp } from '../common/client-ip';
import { ErrorResponseDto } from '../common/error-response.dto';
import { User } from '../database/entities/user.entity';
import { TotpDisableDto, TotpEnableDto, TotpEnableResponseDto, TotpSetupResponseDto } from './dto/mfa.dto';
import { MfaDisableThrottleGuard } from './mfa-disable-throttle.guard';
import { MfaService } from './mfa.service';

@ApiTags('Auth - Second factor')
@Controller('api/auth/mfa/totp')
@Authenticated()
export class MfaController {
  constructor(private readonly mfa: MfaService) {}

  @Post('setup')
  @HttpCode(HttpStatus.OK)
  @ApiOperation({
    summary: 'Start setting up a TOTP second factor',
    description:
      'A new secret, not active until `enable` confirms a code of it; a second setup replaces a pending one.',
  })
  @ApiOkResponse({ type: TotpSetupResponseDto })
  @ApiConflictResponse({ description: 'Second factor already enabled (disable it first)', type: ErrorResponseDto })
  setup(@CurrentUser() user: User): Promise<TotpSetupResponseDto> {
    return this.mfa.setup(user);
  }

  @Post('enable')
  @HttpCode(HttpStatus.OK)
  @ApiOperation({
    summary: 'Enable the pending TOTP secret with a current code of it',
    description: 'Returns ten single-use recovery codes, shown only this once. From now on login needs `otp`.',
  })
  @ApiOkResponse({ type: TotpEnableResponseDto })
  @ApiConflictResponse({ description: 'Second factor already enabled, or no setup pending', type: ErrorResponseDto })
  @ApiUnprocessableEntityResponse({ description: 'Wrong code, or an invalid or unknown field', type: ErrorResponseDto })
  enable(
    @Body() dto: TotpEnableDto,
    @CurrentUser() user: User,
    @ClientIp() ip: string,
  ): Promise<TotpEnableResponseDto> {
    return this.mfa.enable(user, dto.code, ip);
  }

  @Post('disable')
  @HttpCode(HttpStatus.NO_CONTENT)
  @UseGuards(MfaDisableThrottleGuard)
  @ApiOperation({
    summary: 'Disable the second factor',
    description:
      'Needs the password and a current TOTP code or an unused recovery code; the recovery codes go too. A wrong ' +
      'password or code counts toward the account lockout, as a wrong password at login does.',
  })
  @ApiNoContentResponse({ description: 'Second factor removed' })
  @ApiConflictResponse({ description: 'Second factor not enabled', type: ErrorResponseDto })
  @ApiUnprocessableEntityResponse({
    description: 'Wrong password or code (counts toward the lockout), or an invalid or unknown field',
    type: ErrorResponseDto,
  })
  @ApiTooManyRequestsResponse({
    description: 'Over MFA_DISABLE_RATE_LIMIT for this client address or this account; see Retry-After',
    type: ErrorResponseDto,
  })
  disable(@Body() dto: TotpDisableDto, @CurrentUser() user: User, @ClientIp() ip: string): Promise<void> {
    return this.mfa.disable(user, dto, ip);
  }
}
