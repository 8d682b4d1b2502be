import { applyDecorators, Type } from '@nestjs/common';
import { ApiResponse } from '@nestjs/swagger';
import { FastifyReply } from 'fastify';

export const TOTAL_COUNT_HEADER = 'X-Total-Count';
export const TOTAL_COUNT_CAPPED_HEADER = 'X-Total-Count-Capped';

/**
 * How far past the page's first row a capped count looks. An exact count of a filter matching millions of
 * rows reads all of them on every page; a count that stops here costs at most this many index entries.
 * It is larger than any page (limit ≤ 1000), so "skip + limit < total" still tells a client that a next page
 * exists, and it is counted from `skip`, so the total is never below the rows a client has already paged past.
 */
export const TOTAL_COUNT_CAP = 10_000;

/** One page of a listing, with the number of items on all pages. */
export interface Page<T> {
  items: T[];
  total: number;
  /**
   * Set by listings whose count is capped: true when more rows match than were counted, `total` being then
   * a lower bound.
   */
  capped?: boolean;
}

/** The most rows a capped count of the page starting at `skip` reads; one more tells that it was capped. */
export function countLimit(skip: number): number {
  return skip + TOTAL_COUNT_CAP;
}

/** The total of a capped count that read `counted` rows with at most `countLimit(skip) + 1` allowed. */
export function cappedTotal(counted: number, skip: number): { total: number; capped: boolean } {
  const limit = countLimit(skip);
  return counted > limit ? { total: limit, capped: true } : { total: counted, capped: false };
}

/** Sets X-Total-Count (and X-Total-Count-Capped for capped listings) and returns the page's items. */
export function withTotalCount<T>(reply: FastifyReply, page: Page<T>): T[] {
  void reply.header(TOTAL_COUNT_HEADER, page.total);
  if (page.capped !== undefined) void reply.header(TOTAL_COUNT_CAPPED_HEADER, String(page.capped));
  return page.items;
}

const EXACT_TOTAL = { description: 'Number of items matching, all pages together', schema: { type: 'integer' } };

const CAPPED_TOTAL = {
  [TOTAL_COUNT_HEADER]: {
    description:
      `Number of items matching, all pages together, counted up to skip + ${TOTAL_COUNT_CAP}: ` +
      `when more match, it is skip + ${TOTAL_COUNT_CAP} and ${TOTAL_COUNT_CAPPED_HEADER} is true`,
    schema: { type: 'integer' },
  },
  [TOTAL_COUNT_CAPPED_HEADER]: {
    description: `true: more items match than ${TOTAL_COUNT_HEADER} says (it is a lower bound); false: it is exact`,
    schema: { type: 'string', enum: ['true', 'false'] },
  },
};

/**
 * Documents a paged listing: its items and the X-Total-Count header; `capped` listings (tables that grow to
 * millions of rows) also have X-Total-Count-Capped.
 */
export const ApiPagedResponse = (type: Type<unknown>, description?: string, options: { capped?: boolean } = {}) =>
  applyDecorators(
    ApiResponse({
      status: 200,
      type,
      isArray: true,
      description,
      headers: options.capped ? CAPPED_TOTAL : { [TOTAL_COUNT_HEADER]: EXACT_TOTAL },
    }),
  );
