import { ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import { IsDate, IsIn, IsInt, IsOptional, IsString, Max, MaxLength, Min } from 'class-validator';
import { IsIpAddress } from '../../common/cidr';
import { PaginationQueryDto } from '../../common/pagination.dto';
import { NoNullCharacters } from '../../common/text';

class TimeWindowQueryDto extends PaginationQueryDto {
  @ApiPropertyOptional({ format: 'date-time', description: 'Only events at or after this time' })
  @IsOptional()
  @Type(() => Date)
  @IsDate({ message: 'since must be an ISO 8601 date-time' })
  since?: Date;

  @ApiPropertyOptional({ format: 'date-time', description: 'Only events before this time' })
  @IsOptional()
  @Type(() => Date)
  @IsDate({ message: 'until must be an ISO 8601 date-time' })
  until?: Date;

  @ApiPropertyOptional({ example: '203.0.113.7' })
  @IsOptional()
  @IsIpAddress()
  source_ip?: string;

  @ApiPropertyOptional({ example: 'sip.example.com' })
  @IsOptional()
  @IsString()
  @NoNullCharacters()
  @MaxLength(1024)
  domain?: string;
}

export class FailedRegistrationQueryDto extends TimeWindowQueryDto {
  @ApiPropertyOptional({ example: '1000' })
  @IsOptional()
  @IsString()
  @NoNullCharacters()
  @MaxLength(1024)
  username?: string;

  @ApiPropertyOptional({ example: 403 })
  @IsOptional()
  @Type(() => Number)
  @IsInt()
  @Min(100)
  @Max(699)
  response_code?: number;
}

export class DoorKnockQueryDto extends TimeWindowQueryDto {
  @ApiPropertyOptional({ example: 'unknown_domain' })
  @IsOptional()
  @IsString()
  @NoNullCharacters()
  @MaxLength(64)
  reason?: string;
}

export class StatsQueryDto {
  @ApiPropertyOptional({ format: 'date-time', description: 'Start of the window; default: 24 hours ago' })
  @IsOptional()
  @Type(() => Date)
  @IsDate({ message: 'since must be an ISO 8601 date-time' })
  since?: Date;
}

export class ExportQueryDto {
  @ApiPropertyOptional({ enum: ['plain', 'json'], default: 'plain' })
  @IsOptional()
  @IsIn(['plain', 'json'])
  format: 'plain' | 'json' = 'plain';
}
