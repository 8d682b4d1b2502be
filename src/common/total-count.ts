import { applyDecorators, Type } from '@nestjs/common';
import { ApiResponse } from '@nestjs/swagger';
import { FastifyReply } from 'fastify';

export const TOTAL_COUNT_HEADER = 'X-Total-Count';

/** One page of a listing, with the number of items on all pages. */
export interface Page<T> {
  items: T[];
  total: number;
}

/** Sets X-Total-Count and returns the page's items. */
export function withTotalCount<T>(reply: FastifyReply, page: Page<T>): T[] {
  void reply.header(TOTAL_COUNT_HEADER, page.total);
  return page.items;
}

/** Documents a paged listing: its items and the X-Total-Count header. */
export const ApiPagedResponse = (type: Type<unknown>, description?: string) =>
  applyDecorators(
    ApiResponse({
      status: 200,
      type,
      isArray: true,
      description,
      headers: { [TOTAL_COUNT_HEADER]: { description: 'Number of items matching, all pages together', schema: { type: 'integer' } } },
    }),
  );
