import { applyDecorators } from '@nestjs/common';
import { ApiProperty } from '@nestjs/swagger';
import { Transform } from 'class-transformer';
import { IsString, MaxLength, MinLength } from 'class-validator';
import { NoNullCharacters } from '../../common/text';
import { NormalizedEmail } from '../email';

/**
 * An `email` that names an account to look up (login, a request for a link): normalised as stored, and any
 * string an account could have is accepted, so that the answer never differs by the address's form.
 */
export const EmailLookupProperty = () =>
  applyDecorators(
    ApiProperty({ example: 'user@example.com' }),
    Transform(NormalizedEmail),
    IsString(),
    NoNullCharacters(),
    MinLength(1),
    MaxLength(254),
  );
