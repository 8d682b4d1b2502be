import { applyDecorators } from '@nestjs/common';
import { Transform } from 'class-transformer';
import { IsDate, IsInt, Max, MaxDate, Min, MinDate } from 'class-validator';

const DECIMAL_DIGITS = /^\d+$/;

/**
 * An integer query parameter, written in decimal digits only. `Number()` would also read `1e3`, `0x10`,
 * `0b11`, ` 5 ` and the empty string (as 0); such a value is left as text, which @IsInt then refuses.
 */
export const QueryInt = (range: { min: number; max: number }) =>
  applyDecorators(
    Transform(({ value }: { value: unknown }) =>
      typeof value === 'string' && DECIMAL_DIGITS.test(value) ? Number(value) : value,
    ),
    IsInt({ message: ({ property }) => `${property} must be an integer written in decimal digits` }),
    Min(range.min),
    Max(range.max),
  );

const ISO_8601 = /^(\d{4})-(\d{2})-(\d{2})(?:T(\d{2}):(\d{2})(?::(\d{2})(?:\.\d{1,9})?)?(Z|[+-]\d{2}(?::?\d{2})?)?)?$/;

/**
 * Reads an ISO 8601 date (`2026-11-25`, midnight UTC) or date-time (`2026-11-25T17:00:00Z`, offset
 * `+01:00` or `+0100` or none, which means UTC rather than the server's zone). Anything else, including
 * what `new Date()` would also take (`0`, `Nov 25 2026`, `2026-02-30`), is undefined.
 */
export function parseIsoDateTime(text: string): Date | undefined {
  const match = ISO_8601.exec(text);
  if (!match) return undefined;
  const [, year, month, day, hour, minute, second, zone] = match;
  if (!isCalendarDate(Number(year), Number(month), Number(day))) return undefined;
  if (hour !== undefined && (Number(hour) > 23 || Number(minute) > 59 || Number(second ?? 0) > 59)) return undefined;
  const date = new Date(hour !== undefined && zone === undefined ? `${text}Z` : text);
  return Number.isNaN(date.getTime()) ? undefined : date;
}

function isCalendarDate(year: number, month: number, day: number): boolean {
  const leap = year % 4 === 0 && (year % 100 !== 0 || year % 400 === 0);
  const days = [31, leap ? 29 : 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31][month - 1];
  return days !== undefined && day >= 1 && day <= days;
}

/**
 * An ISO 8601 date-time query parameter (see parseIsoDateTime) between the years 1 and 9999: JavaScript
 * takes dates PostgreSQL's timestamptz cannot hold, which would fail in the database instead of as a 422.
 */
export const QueryIsoDate = () =>
  applyDecorators(
    Transform(({ value }: { value: unknown }) =>
      typeof value === 'string' ? (parseIsoDateTime(value) ?? value) : value,
    ),
    IsDate({ message: ({ property }) => `${property} must be an ISO 8601 date-time` }),
    MinDate(new Date('0001-01-01T00:00:00Z')),
    MaxDate(new Date('9999-12-31T23:59:59Z')),
  );
