import { ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import { IsInt, Max, Min } from 'class-validator';

export const MAX_PAGE_SIZE = 1000;

/** `skip`/`limit` as every listing takes them; out of range or non-numeric → 422. */
export class PaginationQueryDto {
  @ApiPropertyOptional({ minimum: 0, default: 0 })
  @Type(() => Number)
  @IsInt()
  @Min(0)
  // Beyond this a number is no longer an exact integer (and PostgreSQL's OFFSET would overflow).
  @Max(Number.MAX_SAFE_INTEGER)
  skip: number = 0;

  @ApiPropertyOptional({ minimum: 1, maximum: MAX_PAGE_SIZE, default: 100 })
  @Type(() => Number)
  @IsInt()
  @Min(1)
  @Max(MAX_PAGE_SIZE)
  limit: number = 100;
}
