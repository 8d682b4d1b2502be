import { ApiProperty } from '@nestjs/swagger';
import { Transform } from 'class-transformer';
import { IsString, MaxLength, MinLength } from 'class-validator';
import { NoNullCharacters } from '../../common/text';
import { NormalizedEmail } from '../../auth/email';

/** An address to send a link to; any string an account could have is accepted, so answers never differ by it. */
export class EmailAddressDto {
  @ApiProperty({ example: 'user@example.com' })
  @Transform(NormalizedEmail)
  @IsString()
  @NoNullCharacters()
  @MinLength(1)
  @MaxLength(254)
  email: string;
}
