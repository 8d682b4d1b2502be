import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsIn, IsInt, IsOptional, IsString, Max, MaxLength, Min, MinLength, ValidateBy } from 'class-validator';
import { NoControlCharacters } from '../../common/text';
import { FeedDetail } from '../feeds.service';
import { FeedFormat, FeedState } from '../sip-feeds.repository';

const FEED_FORMATS: FeedFormat[] = ['plain', 'apiban', 'crowdsec'];
/** A week: a feed pulled more rarely is stale long before its next pull. */
const MAX_INTERVAL_SECONDS = 7 * 24 * 3600;
/** Ten years, as a manual ban: longer is "while listed", said by omitting the duration. */
const MAX_BAN_SECONDS = 10 * 365 * 24 * 3600;

/**
 * An http:// or https:// URL without user or password: the URL is shown to every admin, so a secret goes
 * in api_key. Loopback and private addresses are allowed (following one's own other instance is common).
 */
const IsFeedUrl = () =>
  ValidateBy({
    name: 'isFeedUrl',
    validator: {
      validate: (value: unknown) => {
        if (typeof value !== 'string') return false;
        try {
          const url = new URL(value);
          return ['http:', 'https:'].includes(url.protocol) && url.username === '' && url.password === '';
        } catch {
          return false;
        }
      },
      defaultMessage: () => 'url must be an http:// or https:// URL without user or password (put a key in api_key)',
    },
  });

export class CreateFeedDto {
  @ApiProperty({ example: 'apiban', maxLength: 100, description: 'Unique; each of its bans names it' })
  @IsString()
  @NoControlCharacters()
  @MinLength(1)
  @MaxLength(100)
  name: string;

  @ApiProperty({
    example: 'https://apiban.org/api',
    maxLength: 2000,
    description:
      'plain: the list itself. apiban: the API base; `{url}/{api_key}/banned[/{ID}]` is read. crowdsec: the Local API base (or its /v1/decisions/stream URL)',
  })
  @IsString()
  @NoControlCharacters()
  @MaxLength(2000)
  @IsFeedUrl()
  url: string;

  @ApiProperty({ enum: FEED_FORMATS })
  @IsIn(FEED_FORMATS)
  format: FeedFormat;

  @ApiProperty({ type: 'integer', minimum: 60, maximum: MAX_INTERVAL_SECONDS, example: 300 })
  @IsInt()
  @Min(60)
  @Max(MAX_INTERVAL_SECONDS)
  interval_seconds: number;

  @ApiPropertyOptional({
    type: String,
    maxLength: 500,
    nullable: true,
    description:
      'Required for apiban (put in the URL path, as APIBan does) and crowdsec (sent as X-Api-Key); refused for plain. Never returned',
  })
  @IsOptional()
  @IsString()
  @NoControlCharacters()
  @MinLength(1)
  @MaxLength(500)
  api_key?: string | null;

  @ApiPropertyOptional({
    type: 'integer',
    minimum: 60,
    maximum: MAX_BAN_SECONDS,
    nullable: true,
    description:
      "Omitted or null: an entry's ban lasts while the feed lists it. Set: it expires this long after the last pull that listed it",
  })
  @IsOptional()
  @IsInt()
  @Min(60)
  @Max(MAX_BAN_SECONDS)
  ban_duration_seconds?: number | null;
}

export class FeedSkippedCountsDto {
  @ApiProperty({ description: 'Entries overlapping the allowlist' }) allowlisted: number;
  @ApiProperty({ description: 'Entries wider than SIP_MIN_PREFIX_IPV4 / SIP_MIN_PREFIX_IPV6' }) too_wide: number;
  @ApiProperty({ description: 'Values that are not an address or CIDR (or not a ban decision)' }) invalid: number;
}

export class FeedDto {
  @ApiProperty() id: number;
  @ApiProperty() name: string;
  @ApiProperty() url: string;
  @ApiProperty({ enum: FEED_FORMATS }) format: FeedFormat;
  @ApiProperty() interval_seconds: number;
  @ApiProperty({ type: Number, nullable: true }) ban_duration_seconds: number | null;
  @ApiProperty({ description: 'Whether an api_key is set (the key itself is never returned)' }) api_key_set: boolean;
  @ApiProperty({ format: 'date-time' }) created_at: string;
  @ApiProperty({ type: String, format: 'date-time', nullable: true, description: 'Its last successful pull' })
  last_pulled_at: string | null;
  @ApiProperty({ type: String, format: 'date-time', nullable: true }) last_attempt_at: string | null;
  @ApiProperty({ format: 'date-time' }) next_pull_at: string;
  @ApiProperty({ type: String, nullable: true, description: 'Why the last pull failed; null after a success' })
  last_error: string | null;
  @ApiProperty({ description: 'Distinct entries the feed listed at its last pull (none once stale)' }) entries: number;
  @ApiProperty({ description: 'Its active bans' }) banned: number;
  @ApiProperty({ type: FeedSkippedCountsDto }) skipped: FeedSkippedCountsDto;
  @ApiProperty({ description: 'The feed listed more than 100 000 entries; the rest was left out' }) truncated: boolean;

  static from(feed: FeedState): FeedDto {
    return {
      id: Number(feed.id),
      name: feed.name,
      url: feed.url,
      format: feed.format,
      interval_seconds: feed.intervalSeconds,
      ban_duration_seconds: feed.banDurationSeconds,
      api_key_set: feed.apiKey !== null,
      created_at: feed.createdAt.toISOString(),
      last_pulled_at: feed.lastPulledAt?.toISOString() ?? null,
      last_attempt_at: feed.lastAttemptAt?.toISOString() ?? null,
      next_pull_at: feed.nextPullAt.toISOString(),
      last_error: feed.lastError,
      entries: feed.entries,
      banned: feed.banned,
      skipped: { allowlisted: feed.skippedAllowlisted, too_wide: feed.skippedTooWide, invalid: feed.skippedInvalid },
      truncated: feed.truncated,
    };
  }
}

export class SkippedEntryDto {
  @ApiProperty({ example: '192.0.2.0/24' }) cidr: string;
  @ApiProperty({ enum: ['allowlisted', 'too_wide'] }) reason: 'allowlisted' | 'too_wide';
}

export class FeedDetailDto extends FeedDto {
  @ApiProperty({ type: [SkippedEntryDto], description: 'Entries not banned and why (at most 1000)' })
  skipped_entries: SkippedEntryDto[];

  static fromDetail({ feed, skippedEntries }: FeedDetail): FeedDetailDto {
    return {
      ...FeedDto.from(feed),
      skipped_entries: skippedEntries.map(({ cidr, skipped }) => ({ cidr, reason: skipped })),
    };
  }
}
