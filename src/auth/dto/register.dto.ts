import { ApiProperty } from '@nestjs/swagger';
import { Transform } from 'class-transformer';
import { IsEmail, MaxLength } from 'class-validator';
import { CaptchaPayloadDto } from '../../captcha/captcha-payload.dto';
import { IsNormalizableEmail, NormalizedEmail } from '../email';
import { FullNameProperty } from './full-name.property';
import { IsAcceptablePassword, PASSWORD_MAX_LENGTH, PASSWORD_MIN_LENGTH } from '../password-policy';

/** Only these fields (and `captcha`) are accepted: `is_superuser`, `is_active` and any other field → 422. */
export class RegisterDto extends CaptchaPayloadDto {
  @ApiProperty({
    example: 'user@example.com',
    maxLength: 254,
    description:
      'Stored trimmed, in Unicode NFC, local part lower-cased, domain in its ASCII (IDNA) form. Refused (422): ' +
      'a label mixing scripts (Cyrillic `а` in `аdmin`), control characters (CR, LF, TAB, NUL), invisible ' +
      'formatting characters (bidi overrides), a local part that is not a dot-atom (`"quoted"@…`), ' +
      'more than 64 bytes before the @ or 254 in all',
  })
  @Transform(NormalizedEmail)
  @IsEmail({}, { message: 'email must be a valid e-mail address' })
  @IsNormalizableEmail()
  @MaxLength(254)
  email: string;

  @ApiProperty({
    example: 'Valid1234',
    minLength: PASSWORD_MIN_LENGTH,
    maxLength: PASSWORD_MAX_LENGTH,
    description:
      'At least one upper-case letter, one lower-case letter and one digit; not on the common-password list ' +
      '(PASSWORD_BLOCKLIST, case-insensitive)',
    format: 'password',
  })
  @IsAcceptablePassword()
  password: string;

  @FullNameProperty()
  full_name: string;
}
