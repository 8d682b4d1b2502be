import { Body, Controller, HttpCode, HttpStatus, Post, Req, Res } from '@nestjs/common';
import {
  ApiForbiddenResponse,
  ApiOkResponse,
  ApiOperation,
  ApiTags,
  ApiTooManyRequestsResponse,
  ApiUnauthorizedResponse,
  ApiUnprocessableEntityResponse,
} from '@nestjs/swagger';
import type { PublicKeyCredentialRequestOptionsJSON } from '@simplewebauthn/server';
import { FastifyReply, FastifyRequest } from 'fastify';
import { TokenResponseDto } from '../auth/dto/token-response.dto';
import { ClientIp } from '../common/client-ip';
import { ErrorResponseDto } from '../common/error-response.dto';
import { THROTTLE, ThrottledBy } from '../common/throttling/client-ip-throttler.guard';
import { DeviceCookie } from '../devices/device-cookie';
import { deliverTokens, RefreshCookieHeader } from '../sessions/refresh-cookie';
import { PasskeySignInVerifyDto } from './dto/passkey.dto';
import { PasskeySignInService } from './passkey-sign-in.service';
import { WEBAUTHN_OPTIONS_SCHEMA } from './webauthn-options.openapi';

const LoginThrottled = () =>
  ApiTooManyRequestsResponse({
    description: 'Over LOGIN_RATE_LIMIT requests of this route per client IP per LOGIN_RATE_TTL; see Retry-After',
    type: ErrorResponseDto,
  });

/** Signing in with a passkey, no e-mail typed: the same session and cookies as a password login. */
@ApiTags('Auth - Passkeys')
@Controller('api/auth/passkeys/login')
@ThrottledBy(THROTTLE.login)
export class PasskeySignInController {
  constructor(
    private readonly signIns: PasskeySignInService,
    private readonly deviceCookie: DeviceCookie,
  ) {}

  @Post('options')
  @HttpCode(HttpStatus.OK)
  @LoginThrottled()
  @ApiOperation({
    summary: 'Start a passkey sign-in: options for navigator.credentials.get()',
    description:
      'PublicKeyCredentialRequestOptions as JSON (e.g. for @simplewebauthn/browser `startAuthentication`), with no ' +
      'credential list: the browser offers the passkeys it holds for PUBLIC_URL’s host. The challenge is good ' +
      'for one `login/verify` within 120 seconds. Limited per client IP as login is (LOGIN_RATE_LIMIT).',
  })
  @ApiOkResponse({ schema: WEBAUTHN_OPTIONS_SCHEMA })
  options(): Promise<PublicKeyCredentialRequestOptionsJSON> {
    return this.signIns.options();
  }

  @Post('verify')
  @HttpCode(HttpStatus.OK)
  @LoginThrottled()
  @ApiOperation({
    summary: 'Finish a passkey sign-in: a new session, as POST /api/auth/login gives',
    description:
      'The answer must be signed by a registered passkey over an unused challenge of `login/options`, from ' +
      'PUBLIC_URL’s origin, with user verification, and its signature counter must be above the last one seen ' +
      '(else the passkey may have been cloned). A passkey counts as both factors: no `otp`. Sets the device ' +
      'cookie (and, with `X-Refresh-Cookie: 1`, the refresh cookie) as login does; a locked account is refused.',
  })
  @RefreshCookieHeader()
  @ApiOkResponse({ type: TokenResponseDto })
  @ApiUnauthorizedResponse({
    description:
      '`Passkey sign-in failed`: unknown passkey, stale challenge, wrong origin or signature, no user ' +
      'verification, a counter that did not rise, or a locked account',
    type: ErrorResponseDto,
  })
  @ApiForbiddenResponse({ description: '`Inactive user`, or `Email not verified`', type: ErrorResponseDto })
  @ApiUnprocessableEntityResponse({ description: 'An invalid or unknown field', type: ErrorResponseDto })
  async verify(
    @Body() dto: PasskeySignInVerifyDto,
    @ClientIp() ip: string,
    @Req() request: FastifyRequest,
    @Res({ passthrough: true }) reply: FastifyReply,
  ): Promise<TokenResponseDto> {
    const { tokens, deviceCookie } = await this.signIns.verify(dto, {
      ip,
      userAgent: request.headers['user-agent'],
      deviceCookie: this.deviceCookie.read(request),
    });
    this.deviceCookie.write(reply, deviceCookie);
    return deliverTokens(request, reply, tokens);
  }
}
