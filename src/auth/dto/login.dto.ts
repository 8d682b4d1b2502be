import { ApiProperty } from '@nestjs/swagger';
import { Transform } from 'class-transformer';
import { IsString, MaxLength, MinLength } from 'class-validator';
import { NoNullCharacters } from '../../common/text';
import { NormalizedEmail } from '../email';

export class LoginDto {
  @ApiProperty({ example: 'user@example.com' })
  @Transform(NormalizedEmail)
  @IsString()
  @NoNullCharacters()
  @MinLength(1)
  @MaxLength(254)
  email: string;

  /** Bounded so that nobody can make the server hash megabytes. */
  @ApiProperty({ example: 'Test1234', format: 'password' })
  @IsString()
  @MinLength(1)
  @MaxLength(1024)
  password: string;
}
