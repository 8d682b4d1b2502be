import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Transform } from 'class-transformer';
import { IsBoolean, IsEmail, IsOptional, MaxLength } from 'class-validator';
import { IsNormalizableEmail, NormalizedEmail } from '../../auth/email';

export class CreateInvitationDto {
  @ApiProperty({
    example: 'new.colleague@example.com',
    maxLength: 254,
    description: 'Normalised and refused as at registration (see `POST /api/auth/register`)',
  })
  @Transform(NormalizedEmail)
  @IsEmail({}, { message: 'email must be a valid e-mail address' })
  @IsNormalizableEmail()
  @MaxLength(254)
  email: string;

  @ApiPropertyOptional({ default: false, description: 'The account created from the invitation is a superuser' })
  @IsOptional()
  @IsBoolean()
  is_superuser?: boolean;
}
