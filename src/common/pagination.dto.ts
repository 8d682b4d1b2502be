import { ApiPropertyOptional } from '@nestjs/swagger';
import { QueryInt } from './query-params';

export const MAX_PAGE_SIZE = 1000;

/** `skip`/`limit` as every listing takes them; out of range or not in decimal digits → 422. */
export class PaginationQueryDto {
  @ApiPropertyOptional({ type: 'integer', minimum: 0, maximum: Number.MAX_SAFE_INTEGER, default: 0 })
  // Beyond this a number is no longer an exact integer (and PostgreSQL's OFFSET would overflow).
  @QueryInt({ min: 0, max: Number.MAX_SAFE_INTEGER })
  skip: number = 0;

  @ApiPropertyOptional({ type: 'integer', minimum: 1, maximum: MAX_PAGE_SIZE, default: 100 })
  @QueryInt({ min: 1, max: MAX_PAGE_SIZE })
  limit: number = 100;
}
