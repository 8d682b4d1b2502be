import { ApiProperty } from '@nestjs/swagger';
import { IsString, MaxLength, MinLength } from 'class-validator';
import { NewPasswordDto } from './new-password.dto';

export class ResetPasswordDto extends NewPasswordDto {
  @ApiProperty({ description: 'The `token` parameter of the link in the reset e-mail' })
  @IsString()
  @MinLength(1)
  @MaxLength(200)
  token: string;
}
