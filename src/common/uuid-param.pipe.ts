import { NotFoundException, ParseUUIDPipe } from '@nestjs/common';

/** A malformed id names no resource: 404, like an unknown one. */
export const parseIdOr404 = (what: string) =>
  new ParseUUIDPipe({ exceptionFactory: () => new NotFoundException(`${what} not found`) });
