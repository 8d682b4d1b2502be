import { ApiProperty } from '@nestjs/swagger';
import { IsString, MaxLength, MinLength } from 'class-validator';
import { NoNullCharacters } from '../../common/text';

export class TotpSetupResponseDto {
  @ApiProperty({ example: 'JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP', description: 'The TOTP secret, base32 (160 bits)' })
  secret: string;

  @ApiProperty({
    example:
      'otpauth://totp/regshield:user%40example.com?issuer=regshield&secret=JBSW…&algorithm=SHA1&digits=6&period=30',
    description: 'The Key URI an authenticator app takes (SHA-1, 6 digits, 30 s)',
  })
  otpauth_url: string;

  @ApiProperty({
    example: '<svg xmlns="http://www.w3.org/2000/svg" …</svg>',
    description: '`otpauth_url` as a QR code (SVG)',
  })
  qr_svg: string;
}

export class TotpEnableDto {
  @ApiProperty({ example: '123456', description: 'The current code of the authenticator app set up from `setup`' })
  @IsString()
  @NoNullCharacters()
  @MinLength(1)
  @MaxLength(64)
  code: string;
}

export class TotpEnableResponseDto {
  @ApiProperty({
    type: [String],
    example: ['ukjcl-fsrqp-toayd-qjs4z-ya5fmu'],
    description: 'Ten single-use recovery codes, each usable once instead of a TOTP code; shown only now',
  })
  recovery_codes: string[];
}

export class TotpDisableDto {
  @ApiProperty({ format: 'password' })
  @IsString()
  @MinLength(1)
  @MaxLength(1024)
  password: string;

  @ApiProperty({ example: '123456', description: 'A current TOTP code or an unused recovery code' })
  @IsString()
  @NoNullCharacters()
  @MinLength(1)
  @MaxLength(64)
  code: string;
}
