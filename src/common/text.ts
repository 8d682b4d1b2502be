import { Transform } from 'class-transformer';
import { Matches } from 'class-validator';

/** PostgreSQL text cannot hold U+0000: such a value would fail in the database, after validation. */
export const NoNullCharacters = () =>
  Matches(/^[^\u0000]*$/, { message: ({ property }) => `${property} must not contain NUL characters` });

/**
 * For attacker-controlled text the proxy relays (a User-Agent): keep the event, drop the NULs, so a
 * scanner cannot get its own events refused.
 */
export const StripNullCharacters = () =>
  Transform(({ value }: { value: unknown }) => (typeof value === 'string' ? value.replace(/\u0000/g, '') : value));
