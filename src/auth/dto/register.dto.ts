import { ApiProperty } from '@nestjs/swagger';
import { Transform } from 'class-transformer';
import { IsEmail, IsString, MaxLength, MinLength } from 'class-validator';
import { NoNullCharacters } from '../../common/text';
import { IsNormalizableEmail, NormalizedEmail } from '../email';
import { IsAcceptablePassword, PASSWORD_MAX_LENGTH, PASSWORD_MIN_LENGTH } from '../password-policy';

const trim = ({ value }: { value: unknown }) => (typeof value === 'string' ? value.trim() : value);

/** Only these three fields are accepted: `is_superuser`, `is_active` and any other field → 422. */
export class RegisterDto {
  @ApiProperty({
    example: 'user@example.com',
    maxLength: 254,
    description:
      'Stored trimmed, in Unicode NFC, local part lower-cased, domain in its ASCII (IDNA) form; ' +
      'a label mixing scripts (Cyrillic `а` in `аdmin`) is refused',
  })
  @Transform(NormalizedEmail)
  @IsEmail({}, { message: 'email must be a valid e-mail address' })
  @IsNormalizableEmail()
  @MaxLength(254)
  email: string;

  @ApiProperty({
    example: 'Test1234',
    minLength: PASSWORD_MIN_LENGTH,
    maxLength: PASSWORD_MAX_LENGTH,
    description: 'At least one upper-case letter, one lower-case letter and one digit',
    format: 'password',
  })
  @IsAcceptablePassword()
  password: string;

  @ApiProperty({ example: 'Test User', minLength: 1, maxLength: 200 })
  @Transform(trim)
  @IsString()
  @NoNullCharacters()
  @MinLength(1)
  @MaxLength(200)
  full_name: string;
}
