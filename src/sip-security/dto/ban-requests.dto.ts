import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Transform } from 'class-transformer';
import { IsBoolean, IsInt, IsOptional, IsString, Max, MaxLength, Min, MinLength } from 'class-validator';
import { IsCidr } from '../../common/cidr';
import { NoNullCharacters } from '../../common/text';

/** Ten years: longer is "until lifted", which is said by omitting the duration. */
const MAX_BAN_SECONDS = 10 * 365 * 24 * 3600;

const FORCE_DESCRIPTION =
  'Take a CIDR wider than SIP_MIN_PREFIX_IPV4 / SIP_MIN_PREFIX_IPV6 (refused with 422 otherwise); logged as forced';

export class CreateBanDto {
  @ApiProperty({
    example: '203.0.113.0/24',
    description: 'A CIDR or a single address; host bits are cleared; ::ffff:a.b.c.d/N (N ≥ 96) is a.b.c.d/(N-96)',
  })
  @IsCidr()
  cidr: string;

  @ApiProperty({ example: 'svcrack from this network', maxLength: 500 })
  @IsString()
  @NoNullCharacters()
  @MinLength(1)
  @MaxLength(500)
  reason: string;

  @ApiPropertyOptional({
    type: 'integer',
    example: 86400,
    minimum: 1,
    maximum: MAX_BAN_SECONDS,
    nullable: true,
    description: 'Omitted or null: until lifted',
  })
  @IsOptional()
  @IsInt()
  @Min(1)
  @Max(MAX_BAN_SECONDS)
  duration_seconds?: number | null;

  @ApiPropertyOptional({ default: false, description: FORCE_DESCRIPTION })
  @IsOptional()
  @IsBoolean()
  force?: boolean;
}

export class CreateAllowlistEntryDto {
  @ApiProperty({ example: '198.51.100.0/24', description: 'As for bans' })
  @IsCidr()
  cidr: string;

  @ApiPropertyOptional({
    example: 'Trunk provider',
    maxLength: 500,
    default: '',
    nullable: true,
    description: 'null: empty',
  })
  // The column is NOT NULL: null means "no description", as an omitted one does.
  @Transform(({ value }: { value: unknown }) => value ?? '')
  @IsString()
  @NoNullCharacters()
  @MaxLength(500)
  description: string = '';

  @ApiPropertyOptional({ default: false, description: FORCE_DESCRIPTION })
  @IsOptional()
  @IsBoolean()
  force?: boolean;
}
