import { ApiProperty } from '@nestjs/swagger';
import { IsAcceptablePassword, PASSWORD_MAX_LENGTH, PASSWORD_MIN_LENGTH } from '../../auth/password-policy';

/** The `new_password` of a reset or a change, under the password rules of registration. */
export class NewPasswordDto {
  @ApiProperty({
    minLength: PASSWORD_MIN_LENGTH,
    maxLength: PASSWORD_MAX_LENGTH,
    description: 'The password rules of registration apply',
    format: 'password',
  })
  @IsAcceptablePassword()
  new_password: string;
}
