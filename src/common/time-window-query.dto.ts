import { ApiPropertyOptional } from '@nestjs/swagger';
import { IsOptional } from 'class-validator';
import { PaginationQueryDto } from './pagination.dto';
import { QueryIsoDate } from './query-params';

/** A listing of events in time, newest first: paging plus an optional `[since, until)` window. */
export class TimeWindowQueryDto extends PaginationQueryDto {
  @ApiPropertyOptional({
    format: 'date-time',
    description: 'Only events at or after this time (ISO 8601; without an offset: UTC)',
  })
  @IsOptional()
  @QueryIsoDate()
  since?: Date;

  @ApiPropertyOptional({
    format: 'date-time',
    description: 'Only events before this time (ISO 8601; without an offset: UTC)',
  })
  @IsOptional()
  @QueryIsoDate()
  until?: Date;
}
