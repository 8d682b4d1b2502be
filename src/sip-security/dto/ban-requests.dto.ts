import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsInt, IsOptional, IsString, Max, MaxLength, Min, MinLength } from 'class-validator';
import { IsCidr } from '../../common/cidr';
import { NoNullCharacters } from '../../common/text';

export class CreateBanDto {
  @ApiProperty({ example: '203.0.113.0/24', description: 'A CIDR or a single address; host bits are cleared' })
  @IsCidr()
  cidr: string;

  @ApiProperty({ example: 'svcrack from this network', maxLength: 500 })
  @IsString()
  @NoNullCharacters()
  @MinLength(1)
  @MaxLength(500)
  reason: string;

  @ApiPropertyOptional({ example: 86400, minimum: 1, description: 'Omitted: until lifted' })
  @IsOptional()
  @IsInt()
  @Min(1)
  @Max(10 * 365 * 24 * 3600)
  duration_seconds?: number;
}

export class CreateAllowlistEntryDto {
  @ApiProperty({ example: '198.51.100.0/24' })
  @IsCidr()
  cidr: string;

  @ApiPropertyOptional({ example: 'Trunk provider', maxLength: 500, default: '' })
  @IsOptional()
  @IsString()
  @NoNullCharacters()
  @MaxLength(500)
  description: string = '';
}
