import { ApiProperty } from '@nestjs/swagger';
import { IsString, MaxLength, MinLength } from 'class-validator';

/** The token of a verification link (`/verify-email?token=…`). */
export class VerifyEmailDto {
  @ApiProperty({ description: 'The `token` parameter of the link in the e-mail', example: 'mW3x…' })
  @IsString()
  @MinLength(1)
  @MaxLength(200)
  token: string;
}
