import { ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import { applyDecorators } from '@nestjs/common';
import { IsDate, IsIn, IsInt, IsOptional, IsString, Max, MaxDate, MaxLength, Min, MinDate } from 'class-validator';
import { IsIpAddress } from '../../common/cidr';
import { PaginationQueryDto } from '../../common/pagination.dto';
import { NoNullCharacters } from '../../common/text';

/**
 * An ISO 8601 date-time between the years 1 and 9999: JavaScript takes dates PostgreSQL's timestamptz
 * cannot hold, which would fail in the database instead of as a 422.
 */
const IsDateTimeParam = () =>
  applyDecorators(
    IsOptional(),
    Type(() => Date),
    IsDate({ message: ({ property }) => `${property} must be an ISO 8601 date-time` }),
    MinDate(new Date('0001-01-01T00:00:00Z')),
    MaxDate(new Date('9999-12-31T23:59:59Z')),
  );

class TimeWindowQueryDto extends PaginationQueryDto {
  @ApiPropertyOptional({ format: 'date-time', description: 'Only events at or after this time' })
  @IsDateTimeParam()
  since?: Date;

  @ApiPropertyOptional({ format: 'date-time', description: 'Only events before this time' })
  @IsDateTimeParam()
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
  @IsDateTimeParam()
  since?: Date;
}

export class ExportQueryDto {
  @ApiPropertyOptional({ enum: ['plain', 'json', 'nftables', 'ipset'], default: 'plain' })
  @IsOptional()
  @IsIn(['plain', 'json', 'nftables', 'ipset'])
  format: 'plain' | 'json' | 'nftables' | 'ipset' = 'plain';
}
