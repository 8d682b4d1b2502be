import { ApiPropertyOptional } from '@nestjs/swagger';
import { Transform } from 'class-transformer';
import { IsBoolean, IsIn, IsOptional, IsString, MaxLength } from 'class-validator';
import { PaginationQueryDto } from '../../common/pagination.dto';
import { NoNullCharacters } from '../../common/text';
import { USER_STATUSES, UserStatus } from '../../database/entities/user.entity';

/** The longest e-mail address there is (RFC 5321); no longer text can match an e-mail or a name. */
const MAX_SEARCH_LENGTH = 254;

/** `true` and `false` only: anything else (`1`, `yes`, `TRUE`) stays text, which @IsBoolean then refuses. */
const BOOLEAN_WORDS: Readonly<Record<string, boolean>> = { true: true, false: false };

export class ListUsersQueryDto extends PaginationQueryDto {
  @ApiPropertyOptional({
    maxLength: MAX_SEARCH_LENGTH,
    description:
      'Text found anywhere in the e-mail or the full name, case-insensitively; `%` and `_` are plain ' +
      'characters. Empty: every user',
  })
  @IsOptional()
  @IsString()
  @MaxLength(MAX_SEARCH_LENGTH)
  @NoNullCharacters()
  q?: string;

  @ApiPropertyOptional({ enum: USER_STATUSES })
  @IsOptional()
  @IsIn(USER_STATUSES)
  status?: UserStatus;

  @ApiPropertyOptional({ type: 'boolean', description: '`true` or `false`' })
  @IsOptional()
  @Transform(({ value }: { value: unknown }) =>
    typeof value === 'string' && Object.hasOwn(BOOLEAN_WORDS, value) ? BOOLEAN_WORDS[value] : value,
  )
  @IsBoolean({ message: 'is_superuser must be true or false' })
  is_superuser?: boolean;
}
