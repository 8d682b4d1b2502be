import { ValidateBy } from 'class-validator';

/** PostgreSQL text cannot hold U+0000: such a value would fail in the database, after validation. */
export const NoNullCharacters = () =>
  ValidateBy({
    name: 'noNullCharacters',
    validator: {
      validate: (value: unknown) => typeof value !== 'string' || !value.includes('\u0000'),
      defaultMessage: (args) => `${args?.property ?? 'value'} must not contain NUL characters`,
    },
  });
