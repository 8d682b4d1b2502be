import { Matches } from 'class-validator';

/** PostgreSQL text cannot hold U+0000: such a value would fail in the database, after validation. */
export const NoNullCharacters = () =>
  Matches(/^[^\u0000]*$/, { message: ({ property }) => `${property} must not contain NUL characters` });
