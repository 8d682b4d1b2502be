import { Controller, Get, Header, NotFoundException } from '@nestjs/common';
import {
  ApiNotFoundResponse,
  ApiOkResponse,
  ApiOperation,
  ApiProperty,
  ApiTags,
  ApiTooManyRequestsResponse,
} from '@nestjs/swagger';
import { ErrorResponseDto } from '../common/error-response.dto';
import { THROTTLE, ThrottledBy } from '../common/throttling/client-ip-throttler.guard';
import { CaptchaService } from './captcha.service';

class AltchaChallengeParametersDto {
  @ApiProperty({ example: 'PBKDF2/SHA-256' })
  algorithm: string;
  @ApiProperty({ example: 5000, description: 'PBKDF2 iterations per attempt' })
  cost: number;
  @ApiProperty({ example: 1764000600, description: 'Unix time (seconds) after which a solution is refused' })
  expiresAt: number;
  @ApiProperty()
  keyLength: number;
  @ApiProperty()
  keyPrefix: string;
  @ApiProperty()
  keySignature: string;
  @ApiProperty()
  nonce: string;
  @ApiProperty()
  salt: string;
}

class AltchaChallengeDto {
  @ApiProperty({ type: AltchaChallengeParametersDto })
  parameters: AltchaChallengeParametersDto;
  @ApiProperty({ description: 'HMAC of the parameters: a changed parameter makes the solution invalid' })
  signature: string;
}

@ApiTags('Auth')
@Controller('api/auth')
export class CaptchaController {
  constructor(private readonly captcha: CaptchaService) {}

  @Get('captcha')
  @Header('Cache-Control', 'no-store')
  @ThrottledBy(THROTTLE.captcha)
  @ApiOperation({
    summary: 'A new ALTCHA challenge (CAPTCHA=altcha)',
    description:
      'Signed, expiring (CAPTCHA_EXPIRES) proof of work for the ALTCHA widget (its `challenge` option). Its ' +
      'solution, the base64 payload the widget produces, goes into the `captcha` field of register and ' +
      'password/forgot, once. Each challenge costs the server a PBKDF2 derivation, so they are limited per ' +
      'client IP (CAPTCHA_RATE_LIMIT per CAPTCHA_RATE_TTL seconds).',
  })
  @ApiOkResponse({ type: AltchaChallengeDto })
  @ApiNotFoundResponse({ description: 'CAPTCHA is off', type: ErrorResponseDto })
  @ApiTooManyRequestsResponse({
    description: 'Over the per-IP challenge limit (CAPTCHA_RATE_LIMIT); see Retry-After',
    type: ErrorResponseDto,
  })
  async challenge(): Promise<AltchaChallengeDto> {
    if (!this.captcha.enabled) throw new NotFoundException('CAPTCHA is off');
    return (await this.captcha.createChallenge()) as AltchaChallengeDto;
  }
}
