import { ApiProperty } from '@nestjs/swagger';
import { IsString, MaxLength, MinLength } from 'class-validator';
import { NewPasswordDto } from './new-password.dto';

export class ChangePasswordDto extends NewPasswordDto {
  /** Bounded like the login password, so that nobody can make the server hash megabytes. */
  @ApiProperty({ format: 'password' })
  @IsString()
  @MinLength(1)
  @MaxLength(1024)
  current_password: string;
}
