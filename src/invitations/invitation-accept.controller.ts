import { Body, Controller, Post } from '@nestjs/common';
import {
  ApiBadRequestResponse,
  ApiConflictResponse,
  ApiCreatedResponse,
  ApiOperation,
  ApiTags,
  ApiTooManyRequestsResponse,
  ApiUnprocessableEntityResponse,
} from '@nestjs/swagger';
import { UserResponseDto } from '../auth/dto/user-response.dto';
import { ClientIp } from '../common/client-ip';
import { ErrorResponseDto } from '../common/error-response.dto';
import { THROTTLE, ThrottledBy } from '../common/throttling/client-ip-throttler.guard';
import { AcceptInvitationDto } from './dto/accept-invitation.dto';
import { InvitationsService } from './invitations.service';

@ApiTags('Auth')
@Controller('api/auth/invitations')
export class InvitationAcceptController {
  constructor(private readonly invitations: InvitationsService) {}

  @Post('accept')
  @ThrottledBy(THROTTLE.register)
  @ApiOperation({
    summary: "Accept an invitation: the invited address's account is created, active and verified",
    description:
      'Works in every REGISTRATION_MODE; counts toward the per-IP registration limit. The account is a ' +
      'superuser when the invitation says so. Logged and audited as `user_created` with `via: "invitation"`.',
  })
  @ApiCreatedResponse({ type: UserResponseDto })
  @ApiBadRequestResponse({
    description:
      'Invalid or expired token (unknown, already used, revoked or expired, or the admin who sent it is no longer ' +
      'an active superuser)',
    type: ErrorResponseDto,
  })
  @ApiConflictResponse({
    description: 'Email already registered (an account with the address was made since)',
    type: ErrorResponseDto,
  })
  @ApiUnprocessableEntityResponse({ description: 'Invalid or unknown field', type: ErrorResponseDto })
  @ApiTooManyRequestsResponse({
    description: 'Over the per-IP registration limit; see Retry-After',
    type: ErrorResponseDto,
  })
  async accept(@Body() dto: AcceptInvitationDto, @ClientIp() ip: string): Promise<UserResponseDto> {
    return UserResponseDto.from(await this.invitations.accept(dto, ip));
  }
}
