import { ArgumentMetadata, NotFoundException, ParseUUIDPipe, PipeTransform } from '@nestjs/common';

/** A malformed id names no resource: 404, like an unknown one. */
export const parseIdOr404 = (what: string) =>
  new ParseUUIDPipe({ exceptionFactory: () => new NotFoundException(`${what} not found`) });

const ID_PIPE = parseIdOr404('Id');

/** Whether parseIdOr404 would let this id through: the same check, for ids that come in a body. */
export function isWellFormedId(value: string): Promise<boolean> {
  return ID_PIPE.transform(value, { type: 'custom' }).then(
    () => true,
    () => false,
  );
}

/** A bigserial id from the path: anything but a positive integer names nothing, so 404. */
class ParseBigintIdPipe implements PipeTransform<string, string> {
  constructor(private readonly what: string) {}

  transform(value: string, _metadata: ArgumentMetadata): string {
    if (!/^[1-9]\d{0,18}$/.test(value) || BigInt(value) > 9223372036854775807n) {
      throw new NotFoundException(`${this.what} not found`);
    }
    return value;
  }
}

export const parseBigintIdOr404 = (what: string) => new ParseBigintIdPipe(what);
