import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsOptional, IsString, MaxLength, MinLength } from 'class-validator';
import { NoNullCharacters } from '../../common/text';
import { EmailLookupProperty } from './email-lookup.property';

export class LoginDto {
  @EmailLookupProperty()
  email: string;

  /** Bounded so that nobody can make the server hash megabytes. */
  @ApiProperty({ example: 'Valid1234', format: 'password' })
  @IsString()
  @MinLength(1)
  @MaxLength(1024)
  password: string;

  @ApiPropertyOptional({
    example: '123456',
    description:
      'The second factor, for an account that has one: a TOTP code or an unused recovery code. ' +
      'Without it such an account gets 401 with `"mfa_required": true`',
  })
  @IsOptional()
  @IsString()
  @NoNullCharacters()
  @MinLength(1)
  @MaxLength(64)
  otp?: string;
}
