import { Body, Controller, HttpCode, HttpStatus, Post, UseGuards } from '@nestjs/common';
import {
  ApiAcceptedResponse,
  ApiBadRequestResponse,
  ApiNoContentResponse,
  ApiOkResponse,
  ApiOperation,
  ApiTags,
  ApiTooManyRequestsResponse,
  ApiUnprocessableEntityResponse,
} from '@nestjs/swagger';
import { UserResponseDto } from '../auth/dto/user-response.dto';
import { Authenticated, CurrentSessionId, CurrentUser } from '../auth/guards/decorators';
import { RequireCaptcha } from '../captcha/captcha.guard';
import { ClientIp } from '../common/client-ip';
import { ErrorResponseDto } from '../common/error-response.dto';
import { User } from '../database/entities/user.entity';
import { AccountEmailRequestsService } from './account-email-requests.service';
import { AccountEmailThrottleGuard } from './account-email-throttle.guard';
import { AcceptedResponseDto } from './dto/accepted-response.dto';
import { ChangePasswordDto } from './dto/change-password.dto';
import { EmailAddressDto } from './dto/email-address.dto';
import { VerifyEmailDto } from './dto/email-token.dto';
import { ForgotPasswordDto } from './dto/forgot-password.dto';
import { ResetPasswordDto } from './dto/reset-password.dto';
import { EmailVerificationService } from './email-verification.service';
import { PasswordService } from './password.service';

const ACCEPTED: AcceptedResponseDto = { message: 'If the address belongs to an account, an e-mail is on its way' };

const OVER_LIMIT = 'Over the per-IP or per-address limit (PASSWORD_FORGOT_*); see Retry-After';

/** The e-mail flows of an account: verifying the address, forgetting, resetting and changing the password. */
@ApiTags('Auth')
@Controller('api/auth')
@ApiUnprocessableEntityResponse({ description: 'Invalid or unknown field', type: ErrorResponseDto })
export class AccountController {
  constructor(
    private readonly verification: EmailVerificationService,
    private readonly passwords: PasswordService,
    private readonly linkRequests: AccountEmailRequestsService,
  ) {}

  @Post('verify-email')
  @HttpCode(HttpStatus.OK)
  @ApiOperation({ summary: 'Confirm the e-mail address with the token of a verification link' })
  @ApiOkResponse({ type: UserResponseDto, description: 'The user, with `email_verified: true`' })
  @ApiBadRequestResponse({ description: 'Invalid or expired token (bad, spent or expired)', type: ErrorResponseDto })
  async verifyEmail(@Body() dto: VerifyEmailDto, @ClientIp() ip: string): Promise<UserResponseDto> {
    return UserResponseDto.from(await this.verification.verify(dto.token, ip));
  }

  @Post('verify-email/resend')
  @HttpCode(HttpStatus.ACCEPTED)
  @UseGuards(AccountEmailThrottleGuard)
  @ApiOperation({
    summary: 'Send a new verification link',
    description: 'The same answer for every address: sent only to an existing account not yet verified.',
  })
  @ApiAcceptedResponse({ type: AcceptedResponseDto })
  @ApiTooManyRequestsResponse({ description: OVER_LIMIT, type: ErrorResponseDto })
  async resendVerification(@Body() dto: EmailAddressDto, @ClientIp() ip: string): Promise<AcceptedResponseDto> {
    await this.linkRequests.submit({ kind: 'email_verification', email: dto.email }, ip);
    return ACCEPTED;
  }

  @Post('password/forgot')
  @HttpCode(HttpStatus.ACCEPTED)
  // Above UseGuards: the CAPTCHA is checked (and spent) only once the throttle has let the request through.
  @RequireCaptcha()
  @UseGuards(AccountEmailThrottleGuard)
  @ApiOperation({
    summary: 'Send a password reset link',
    description:
      'The same answer, in the same time, for every address (the request is stored and handled in the ' +
      'background): the link (valid PASSWORD_RESET_TTL seconds, once) is sent only when an account has it. ' +
      'A new link replaces the earlier ones.',
  })
  @ApiAcceptedResponse({ type: AcceptedResponseDto })
  @ApiTooManyRequestsResponse({ description: OVER_LIMIT, type: ErrorResponseDto })
  async forgotPassword(@Body() dto: ForgotPasswordDto, @ClientIp() ip: string): Promise<AcceptedResponseDto> {
    await this.linkRequests.submit({ kind: 'password_reset', email: dto.email }, ip);
    return ACCEPTED;
  }

  @Post('password/reset')
  @HttpCode(HttpStatus.NO_CONTENT)
  @ApiOperation({
    summary: 'Set a new password with the token of a reset link',
    description:
      'Also marks the address verified and ends a lockout; every session of the user ends and every other unused ' +
      'reset link is void.',
  })
  @ApiNoContentResponse({ description: 'Password changed' })
  @ApiBadRequestResponse({ description: 'Invalid or expired token (bad, spent or expired)', type: ErrorResponseDto })
  @ApiUnprocessableEntityResponse({ description: 'The new password breaks the password rules', type: ErrorResponseDto })
  async resetPassword(@Body() dto: ResetPasswordDto, @ClientIp() ip: string): Promise<void> {
    await this.passwords.reset(dto.token, dto.new_password, ip);
  }

  @Post('password/change')
  @HttpCode(HttpStatus.NO_CONTENT)
  @Authenticated()
  @ApiOperation({
    summary: 'Change the password, knowing the current one',
    description: 'The session asking stays, every other one ends; every unused reset link of the user is void.',
  })
  @ApiNoContentResponse({ description: 'Password changed' })
  @ApiUnprocessableEntityResponse({
    description:
      '`current_password is incorrect` (counts toward the account lockout), or the new password breaks the rules',
    type: ErrorResponseDto,
  })
  async changePassword(
    @Body() dto: ChangePasswordDto,
    @CurrentUser() user: User,
    @CurrentSessionId() sessionId: string,
    @ClientIp() ip: string,
  ): Promise<void> {
    await this.passwords.change(user, sessionId, dto.current_password, dto.new_password, ip);
  }
}
