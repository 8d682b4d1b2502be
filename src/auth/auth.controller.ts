import { Body, Controller, Get, HttpCode, HttpStatus, Post, Req, Res, UseGuards } from '@nestjs/common';
import {
  ApiBearerAuth,
  ApiBody,
  ApiConflictResponse,
  ApiCreatedResponse,
  ApiForbiddenResponse,
  ApiOkResponse,
  ApiOperation,
  ApiTags,
  ApiTooManyRequestsResponse,
  ApiUnauthorizedResponse,
  ApiUnprocessableEntityResponse,
} from '@nestjs/swagger';
import { RequireCaptcha } from '../captcha/captcha.guard';
import { FastifyReply, FastifyRequest } from 'fastify';
import { ClientIp } from '../common/client-ip';
import { ErrorResponseDto } from '../common/error-response.dto';
import { THROTTLE, ThrottledBy } from '../common/throttling/client-ip-throttler.guard';
import { User } from '../database/entities/user.entity';
import { DeviceCookie } from '../devices/device-cookie';
import { deliverTokens, RefreshCookieHeader } from '../sessions/refresh-cookie';
import { LoginDto } from './dto/login.dto';
import { RegisterDto } from './dto/register.dto';
import { TokenResponseDto } from './dto/token-response.dto';
import { UserResponseDto } from './dto/user-response.dto';
import { Authenticated, CurrentUser, OptionalCurrentUser } from './guards/decorators';
import { RegistrationModeGuard } from './guards/registration-mode.guard';
import { LoginService } from './login.service';
import { RegistrationService } from './registration.service';

@ApiTags('Auth')
@Controller('api/auth')
@ApiUnprocessableEntityResponse({ description: 'Invalid or unknown field', type: ErrorResponseDto })
export class AuthController {
  constructor(
    private readonly registration: RegistrationService,
    private readonly logins: LoginService,
    private readonly deviceCookie: DeviceCookie,
  ) {}

  @Post('register')
  // The decorator nearest the method adds its guards first: the throttle, then the registration mode, then
  // the CAPTCHA, which is checked (and spent) only once the other two have let the request through.
  @RequireCaptcha()
  @UseGuards(RegistrationModeGuard)
  @ThrottledBy(THROTTLE.register)
  @ApiTooManyRequestsResponse({
    description: 'Over the per-IP registration limit; see Retry-After',
    type: ErrorResponseDto,
  })
  @ApiOperation({
    summary: 'Register a user',
    description:
      'REGISTRATION_MODE `approval`: the user is pending until an admin activates it. `open`: active at once. ' +
      "`admin_only`: only a superuser's bearer token may register users, who are active at once.",
  })
  @ApiBearerAuth()
  @ApiCreatedResponse({ type: UserResponseDto })
  @ApiConflictResponse({ description: 'Email already registered', type: ErrorResponseDto })
  @ApiUnauthorizedResponse({ description: '`admin_only` mode without a valid token', type: ErrorResponseDto })
  @ApiForbiddenResponse({ description: '`admin_only` mode with a non-superuser token', type: ErrorResponseDto })
  async register(
    @Body() dto: RegisterDto,
    @ClientIp() ip: string,
    @OptionalCurrentUser() actor: User | undefined,
  ): Promise<UserResponseDto> {
    return UserResponseDto.from(await this.registration.register(dto, ip, actor));
  }

  @Post('login')
  @HttpCode(HttpStatus.OK)
  @ThrottledBy(THROTTLE.login)
  @ApiTooManyRequestsResponse({ description: 'Over the per-IP login limit; see Retry-After', type: ErrorResponseDto })
  @ApiOperation({
    summary: 'Exchange e-mail and password for a new session: a bearer token and a refresh token',
    description:
      'A successful login also sets the device cookie `regshield_device` (HttpOnly, SameSite=Strict, ' +
      'Path=/api/auth, Secure when PUBLIC_URL is https, Max-Age DEVICE_COOKIE_TTL): a signed name of ' +
      'this device for this account. A later login sending it is exempt from the account lock that strangers\u2019 ' +
      'failures cause; its own failures lock only this device.',
  })
  @RefreshCookieHeader()
  @ApiBody({ type: LoginDto })
  @ApiOkResponse({ type: TokenResponseDto })
  @ApiUnauthorizedResponse({
    description:
      'Incorrect email or password; or, after the right password of an account with a second factor, ' +
      '`Second factor required` (with `"mfa_required": true`, when `otp` is missing) or `Invalid second factor`',
    type: ErrorResponseDto,
  })
  @ApiForbiddenResponse({ description: 'Inactive user (only after a correct password)', type: ErrorResponseDto })
  async login(
    @Body() dto: LoginDto,
    @ClientIp() ip: string,
    @Req() request: FastifyRequest,
    @Res({ passthrough: true }) reply: FastifyReply,
  ): Promise<TokenResponseDto> {
    const { tokens, deviceCookie } = await this.logins.login(dto, {
      ip,
      userAgent: request.headers['user-agent'],
      deviceCookie: this.deviceCookie.read(request),
    });
    this.deviceCookie.write(reply, deviceCookie);
    return deliverTokens(request, reply, tokens);
  }

  @Get('me')
  @Authenticated()
  @ApiOperation({ summary: 'The authenticated user' })
  @ApiOkResponse({ type: UserResponseDto })
  me(@CurrentUser() user: User): UserResponseDto {
    return UserResponseDto.from(user);
  }
}
