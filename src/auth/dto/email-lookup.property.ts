import { applyDecorators } from '@nestjs/common';
import { ApiProperty } from '@nestjs/swagger';
import { Transform } from 'class-transformer';
import { IsString } from 'class-validator';
import { IsNormalizableEmail, NormalizedEmail } from '../email';

/**
 * An `email` that names an account to look up (login, a request for a link): normalised as stored. An
 * address no account can have (see normalizeEmail) is 422 whoever asks, so the answer still never differs
 * by whether an account exists.
 */
export const EmailLookupProperty = () =>
  applyDecorators(
    ApiProperty({
      example: 'user@example.com',
      maxLength: 254,
      description:
        'Normalised as at sign-up; control characters, bidi overrides, a quoted local part or mixed scripts → 422',
    }),
    Transform(NormalizedEmail),
    IsString(),
    IsNormalizableEmail(),
  );
