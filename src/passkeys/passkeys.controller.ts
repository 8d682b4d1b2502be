import { Body, Controller, Delete, Get, HttpCode, HttpStatus, Param, Patch, Post } from '@nestjs/common';
import {
  ApiConflictResponse,
  ApiCreatedResponse,
  ApiNoContentResponse,
  ApiNotFoundResponse,
  ApiOkResponse,
  ApiOperation,
  ApiParam,
  ApiTags,
  ApiUnprocessableEntityResponse,
} from '@nestjs/swagger';
import type { PublicKeyCredentialCreationOptionsJSON } from '@simplewebauthn/server';
import { Authenticated, CurrentUser } from '../auth/guards/decorators';
import { ClientIp } from '../common/client-ip';
import { ErrorResponseDto } from '../common/error-response.dto';
import { parseIdOr404 } from '../common/id-param.pipes';
import { User } from '../database/entities/user.entity';
import { AdminFactorPolicy } from './admin-factor-policy.service';
import {
  AdminFactorStatusDto,
  PasskeyRegisterVerifyDto,
  PasskeyRenameDto,
  PasskeyResponseDto,
} from './dto/passkey.dto';
import { PasskeyRegistrationService } from './passkey-registration.service';
import { PasskeysService } from './passkeys.service';
import { WEBAUTHN_OPTIONS_SCHEMA } from './webauthn-options.openapi';

const UnknownPasskey = () =>
  ApiNotFoundResponse({ description: "Unknown, malformed or another user's passkey", type: ErrorResponseDto });

/** The signed-in user's passkeys: add (two steps), list, rename, remove; and the admins' factor policy. */
@ApiTags('Auth - Passkeys')
@Controller('api/auth')
@Authenticated()
export class PasskeysController {
  constructor(
    private readonly registration: PasskeyRegistrationService,
    private readonly passkeys: PasskeysService,
    private readonly policy: AdminFactorPolicy,
  ) {}

  @Post('passkeys/register/options')
  @HttpCode(HttpStatus.OK)
  @ApiOperation({
    summary: 'Start adding a passkey: options for navigator.credentials.create()',
    description:
      'PublicKeyCredentialCreationOptions as JSON (e.g. for @simplewebauthn/browser `startRegistration`): a ' +
      'discoverable credential with user verification, for PUBLIC_URL’s host as RP ID, excluding the passkeys ' +
      'the account has. Its challenge is good for one `register/verify` by this user within 120 seconds.',
  })
  @ApiOkResponse({ schema: WEBAUTHN_OPTIONS_SCHEMA })
  @ApiConflictResponse({ description: 'The account has 20 passkeys already', type: ErrorResponseDto })
  registerOptions(@CurrentUser() user: User): Promise<PublicKeyCredentialCreationOptionsJSON> {
    return this.registration.options(user);
  }

  @Post('passkeys/register/verify')
  @ApiOperation({
    summary: 'Finish adding a passkey with the browser’s answer',
    description:
      'The answer must be signed over a challenge of `register/options` not used yet, come from PUBLIC_URL’s ' +
      'origin, and show user verification. Logged as `passkey_added`.',
  })
  @ApiCreatedResponse({ type: PasskeyResponseDto })
  @ApiConflictResponse({
    description: 'The account has 20 passkeys already, or this passkey is registered already',
    type: ErrorResponseDto,
  })
  @ApiUnprocessableEntityResponse({
    description:
      'An invalid or unknown field; a stale (unknown, expired, used) challenge; an answer that does not verify',
    type: ErrorResponseDto,
  })
  async registerVerify(
    @Body() dto: PasskeyRegisterVerifyDto,
    @CurrentUser() user: User,
    @ClientIp() ip: string,
  ): Promise<PasskeyResponseDto> {
    return PasskeyResponseDto.from(await this.registration.verify(user, dto, ip));
  }

  @Get('passkeys')
  @ApiOperation({ summary: "The user's passkeys, oldest first" })
  @ApiOkResponse({ type: [PasskeyResponseDto] })
  async list(@CurrentUser() user: User): Promise<PasskeyResponseDto[]> {
    return (await this.passkeys.list(user)).map((passkey) => PasskeyResponseDto.from(passkey));
  }

  @Patch('passkeys/:id')
  @ApiOperation({ summary: 'Rename one of the user’s passkeys' })
  @ApiParam({ name: 'id', format: 'uuid' })
  @ApiOkResponse({ type: PasskeyResponseDto })
  @UnknownPasskey()
  async rename(
    @Param('id', parseIdOr404('Passkey')) id: string,
    @Body() dto: PasskeyRenameDto,
    @CurrentUser() user: User,
  ): Promise<PasskeyResponseDto> {
    return PasskeyResponseDto.from(await this.passkeys.rename(user, id, dto.name));
  }

  @Delete('passkeys/:id')
  @HttpCode(HttpStatus.NO_CONTENT)
  @ApiOperation({
    summary: 'Remove one of the user’s passkeys',
    description: 'It no longer signs in. Logged as `passkey_removed`.',
  })
  @ApiParam({ name: 'id', format: 'uuid' })
  @ApiNoContentResponse({ description: 'Removed' })
  @UnknownPasskey()
  @ApiConflictResponse({
    description: 'The last second factor of a superuser that ADMIN_MFA_REQUIRED asks one of',
    type: ErrorResponseDto,
  })
  remove(
    @Param('id', parseIdOr404('Passkey')) id: string,
    @CurrentUser() user: User,
    @ClientIp() ip: string,
  ): Promise<void> {
    return this.passkeys.remove(user, id, ip);
  }

  @Get('admin-factor')
  @ApiOperation({
    summary: 'Where the user stands against ADMIN_MFA_REQUIRED',
    description:
      'For a superuser without the factor the policy asks for: when the admin routes stop answering (403) ' +
      'until one is added. The grace period (ADMIN_MFA_GRACE_DAYS) counts from the first time the policy saw ' +
      'this superuser without it: this request, or an admin request.',
  })
  @ApiOkResponse({ type: AdminFactorStatusDto })
  async adminFactor(@CurrentUser() user: User): Promise<AdminFactorStatusDto> {
    return AdminFactorStatusDto.from(await this.policy.status(user));
  }
}
