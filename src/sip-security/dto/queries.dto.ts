import { ApiPropertyOptional } from '@nestjs/swagger';
import { IsIn, IsOptional, IsString, MaxLength } from 'class-validator';
import { IsIpAddress } from '../../common/cidr';
import { QueryInt, QueryIsoDate } from '../../common/query-params';
import { NoNullCharacters } from '../../common/text';
import { TimeWindowQueryDto } from '../../common/time-window-query.dto';
import { MAX_PAGE_SIZE } from '../../common/pagination.dto';
import { BAN_EXPORT_FORMATS, BanExportFormat } from '../firewall-export';
import { BAN_LISTING_STATES, BanListingState } from '../sip-bans.repository';
import { TimelineBucket } from '../sip-events.repository';

/** The filters both SIP event listings take. */
class SipEventQueryDto extends TimeWindowQueryDto {
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

export class FailedRegistrationQueryDto extends SipEventQueryDto {
  @ApiPropertyOptional({ example: '1000' })
  @IsOptional()
  @IsString()
  @NoNullCharacters()
  @MaxLength(1024)
  username?: string;

  @ApiPropertyOptional({ type: 'integer', minimum: 100, maximum: 699, example: 403 })
  @IsOptional()
  @QueryInt({ min: 100, max: 699 })
  response_code?: number;
}

export class DoorKnockQueryDto extends SipEventQueryDto {
  @ApiPropertyOptional({ example: 'unknown_domain' })
  @IsOptional()
  @IsString()
  @NoNullCharacters()
  @MaxLength(64)
  reason?: string;
}

export class StatsQueryDto {
  @ApiPropertyOptional({
    format: 'date-time',
    description: 'Start of the window (ISO 8601; without an offset: UTC); default: 24 hours ago',
  })
  @IsOptional()
  @QueryIsoDate()
  since?: Date;
}

export class TimelineQueryDto {
  @ApiPropertyOptional({
    format: 'date-time',
    description:
      'Start of the window (ISO 8601; without an offset: UTC); default: 24 hours before `until` for hours, 30 days for days',
  })
  @IsOptional()
  @QueryIsoDate()
  since?: Date;

  @ApiPropertyOptional({
    format: 'date-time',
    description: 'End of the window, excluded (ISO 8601; without an offset: UTC); default: now',
  })
  @IsOptional()
  @QueryIsoDate()
  until?: Date;

  @ApiPropertyOptional({
    enum: ['hour', 'day'],
    default: 'hour',
    description: 'Bucket width; buckets are UTC hours or days',
  })
  @IsOptional()
  @IsIn(['hour', 'day'])
  bucket: TimelineBucket = 'hour';
}

export class ExportQueryDto {
  @ApiPropertyOptional({ enum: BAN_EXPORT_FORMATS, default: 'plain' })
  @IsOptional()
  @IsIn(BAN_EXPORT_FORMATS)
  format: BanExportFormat = 'plain';
}

export class BanListQueryDto {
  @ApiPropertyOptional({
    enum: BAN_LISTING_STATES,
    default: 'active',
    description: 'active: in force now; lifted: lifted by an admin; expired: past their expiry; all: every ban',
  })
  @IsOptional()
  @IsIn(BAN_LISTING_STATES)
  state: BanListingState = 'active';

  @ApiPropertyOptional({ type: 'integer', minimum: 0, maximum: Number.MAX_SAFE_INTEGER, default: 0 })
  @QueryInt({ min: 0, max: Number.MAX_SAFE_INTEGER })
  skip: number = 0;

  @ApiPropertyOptional({
    type: 'integer',
    minimum: 1,
    maximum: MAX_PAGE_SIZE,
    description:
      'default: every active ban for `active` (the whole list firewalls and the console need), 100 otherwise',
  })
  @IsOptional()
  @QueryInt({ min: 1, max: MAX_PAGE_SIZE })
  limit?: number;
}
