import { ApiProperty } from '@nestjs/swagger';
import { IsString, MaxLength, MinLength } from 'class-validator';
import { FullNameProperty } from '../../auth/dto/full-name.property';
import { IsAcceptablePassword, PASSWORD_MAX_LENGTH, PASSWORD_MIN_LENGTH } from '../../auth/password-policy';

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

  @FullNameProperty()
  full_name: string;
}
