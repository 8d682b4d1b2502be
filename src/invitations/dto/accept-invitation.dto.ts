import { ApiProperty } from '@nestjs/swagger';
import { Transform } from 'class-transformer';
import { IsString, MaxLength, MinLength } from 'class-validator';
import { IsAcceptablePassword, PASSWORD_MAX_LENGTH, PASSWORD_MIN_LENGTH } from '../../auth/password-policy';
import { NoControlCharacters } from '../../common/text';

const trim = ({ value }: { value: unknown }) => (typeof value === 'string' ? value.trim() : value);

/** The invited person's part of the account: the e-mail and privileges come from the invitation. */
export class AcceptInvitationDto {
  @ApiProperty({ description: 'The `token` parameter of the link in the invitation e-mail' })
  @IsString()
  @MinLength(1)
  @MaxLength(200)
  token: string;

  @ApiProperty({
    example: 'Valid1234',
    minLength: PASSWORD_MIN_LENGTH,
    maxLength: PASSWORD_MAX_LENGTH,
    description: 'The password rules of registration apply',
    format: 'password',
  })
  @IsAcceptablePassword()
  password: string;

  @ApiProperty({
    example: 'New Colleague',
    minLength: 1,
    maxLength: 200,
    description: 'As at registration: control characters and bidirectional overrides → 422',
  })
  @Transform(trim)
  @IsString()
  @NoControlCharacters()
  @MinLength(1)
  @MaxLength(200)
  full_name: string;
}
