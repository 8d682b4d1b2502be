import { ApiPropertyOptional } from '@nestjs/swagger';
import { IsOptional, IsString, MaxLength } from 'class-validator';

/** The `captcha` field of a body behind RequireCaptcha(): accepted (and ignored) with CAPTCHA off too. */
export class CaptchaPayloadDto {
  @ApiPropertyOptional({
    description:
      "With CAPTCHA=altcha (required then): the ALTCHA widget's base64 payload, a solved challenge from " +
      '`GET /api/auth/captcha`, usable once. With CAPTCHA off: ignored',
  })
  @IsOptional()
  @IsString()
  @MaxLength(8192)
  captcha?: string;
}
