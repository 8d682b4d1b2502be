import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsInt, IsOptional, IsString, Matches, Max, MaxLength, Min, MinLength } from 'class-validator';
import { IsIpAddress } from '../../common/cidr';
import { NoNullCharacters } from '../../common/text';
import { AccountBlock } from '../account-blocks.repository';

/** Ten years, as for bans: longer is "until lifted", said by omitting the duration. */
const MAX_BLOCK_SECONDS = 10 * 365 * 24 * 3600;

export class CreateAccountBlockDto {
  @ApiProperty({ example: '1000', maxLength: 64, description: 'The SIP username (the subscriber row)' })
  @IsString()
  @NoNullCharacters()
  @MinLength(1)
  @MaxLength(64)
  // The proxy's key joins username, domain and source with '@' and '|'.
  @Matches(/^[^|\s]+$/, { message: 'username must not contain "|" or white space' })
  username: string;

  @ApiProperty({ example: 'sip.example.com', maxLength: 64 })
  @IsString()
  @MinLength(1)
  @MaxLength(64)
  @Matches(/^[A-Za-z0-9.-]+$/, { message: 'domain must be a domain name' })
  domain: string;

  @ApiProperty({ example: 'password leaked', maxLength: 500 })
  @IsString()
  @NoNullCharacters()
  @MinLength(1)
  @MaxLength(500)
  reason: string;

  @ApiPropertyOptional({
    type: 'integer',
    minimum: 1,
    maximum: MAX_BLOCK_SECONDS,
    nullable: true,
    description: 'Omitted or null: until lifted',
  })
  @IsOptional()
  @IsInt()
  @Min(1)
  @Max(MAX_BLOCK_SECONDS)
  duration_seconds?: number | null;

  @ApiPropertyOptional({
    type: String,
    example: '198.51.100.7',
    nullable: true,
    description: 'Set: that username is refused from this address only (e.g. a misconfigured phone behind a NAT)',
  })
  @IsOptional()
  @IsIpAddress()
  source_ip?: string | null;
}

export class AccountBlockDto {
  @ApiProperty() id: number;
  @ApiProperty() username: string;
  @ApiProperty() domain: string;
  @ApiProperty({ type: String, nullable: true, description: 'null: every source' }) source_ip: string | null;
  @ApiProperty() reason: string;
  @ApiProperty({ enum: ['auto', 'manual'] }) source: 'auto' | 'manual';
  @ApiProperty({ type: Number, nullable: true, description: 'The alert that caused an automatic block' })
  alert_id: number | null;
  @ApiProperty({ format: 'date-time' }) created_at: string;
  @ApiProperty({ type: String, format: 'date-time', nullable: true, description: 'null: until lifted' })
  expires_at: string | null;

  static from(block: AccountBlock): AccountBlockDto {
    return {
      id: Number(block.id),
      username: block.username,
      domain: block.domain,
      source_ip: block.sourceIp,
      reason: block.reason,
      source: block.source,
      alert_id: block.alertId === null ? null : Number(block.alertId),
      created_at: new Date(block.createdAt).toISOString(),
      expires_at: block.expiresAt === null ? null : new Date(block.expiresAt).toISOString(),
    };
  }
}
