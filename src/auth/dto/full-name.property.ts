import { applyDecorators } from '@nestjs/common';
import { ApiProperty } from '@nestjs/swagger';
import { Transform } from 'class-transformer';
import { IsString, MaxLength, MinLength } from 'class-validator';
import { NoControlCharacters } from '../../common/text';

const trim = ({ value }: { value: unknown }) => (typeof value === 'string' ? value.trim() : value);

/**
 * The `full_name` a person gives their account (sign-up, an accepted invitation): one rule wherever a name
 * enters, since the name is the greeting of every e-mail's plain text.
 */
export const FullNameProperty = () =>
  applyDecorators(
    ApiProperty({
      example: 'Test User',
      minLength: 1,
      maxLength: 200,
      description:
        'Trimmed; control characters (CR, LF, TAB, NUL…) and bidirectional overrides (U+202A–202E, U+2066–2069) → 422',
    }),
    Transform(trim),
    IsString(),
    NoControlCharacters(),
    MinLength(1),
    MaxLength(200),
  );
