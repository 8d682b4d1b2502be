import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsInt, IsOptional, IsString, Max, MaxLength, Min } from 'class-validator';
import { IsIpAddress } from '../../common/cidr';
import { StripNullCharacters } from '../../common/text';

const TEXT_MAX = 1024;

/** One failed REGISTER as the proxy reports it (the columns of `failed_registrations`). */
export class FailedRegistrationEventDto {
  @ApiPropertyOptional({ example: '1000', maxLength: TEXT_MAX, nullable: true })
  @IsOptional()
  @StripNullCharacters()
  @IsString()
  @MaxLength(TEXT_MAX)
  username?: string | null;

  @ApiPropertyOptional({ example: 'sip.example.com', maxLength: TEXT_MAX, nullable: true })
  @IsOptional()
  @StripNullCharacters()
  @IsString()
  @MaxLength(TEXT_MAX)
  domain?: string | null;

  @ApiProperty({ example: '203.0.113.7', description: 'IPv4 or IPv6' })
  @IsIpAddress()
  source_ip: string;

  @ApiPropertyOptional({ example: 5060, minimum: 0, maximum: 65535, nullable: true })
  @IsOptional()
  @IsInt()
  @Min(0)
  @Max(65535)
  source_port?: number | null;

  @ApiPropertyOptional({ example: 'friendly-scanner', maxLength: TEXT_MAX, nullable: true })
  @IsOptional()
  @StripNullCharacters()
  @IsString()
  @MaxLength(TEXT_MAX)
  user_agent?: string | null;

  @ApiProperty({ example: 403, minimum: 100, maximum: 699, description: '401 (and 407) challenges are ignored' })
  @IsInt()
  @Min(100)
  @Max(699)
  response_code: number;

  @ApiPropertyOptional({ example: 'Forbidden', maxLength: TEXT_MAX, nullable: true })
  @IsOptional()
  @StripNullCharacters()
  @IsString()
  @MaxLength(TEXT_MAX)
  response_reason?: string | null;

  @ApiPropertyOptional({ example: 3600, minimum: 0, nullable: true })
  @IsOptional()
  @IsInt()
  @Min(0)
  @Max(2147483647)
  expires?: number | null;
}

/** One door knock (the columns of `door_knock_attempts`). */
export class DoorKnockEventDto {
  @ApiProperty({ example: '203.0.113.7', description: 'IPv4 or IPv6' })
  @IsIpAddress()
  source_ip: string;

  @ApiPropertyOptional({ example: 5060, minimum: 0, maximum: 65535, nullable: true })
  @IsOptional()
  @IsInt()
  @Min(0)
  @Max(65535)
  source_port?: number | null;

  @ApiPropertyOptional({ example: 'REGISTER', maxLength: 32, nullable: true })
  @IsOptional()
  @StripNullCharacters()
  @IsString()
  @MaxLength(32)
  method?: string | null;

  @ApiPropertyOptional({ example: 'sip:203.0.113.1', maxLength: TEXT_MAX, nullable: true })
  @IsOptional()
  @StripNullCharacters()
  @IsString()
  @MaxLength(TEXT_MAX)
  request_uri?: string | null;

  @ApiPropertyOptional({ example: 'sip:100@203.0.113.1', maxLength: TEXT_MAX, nullable: true })
  @IsOptional()
  @StripNullCharacters()
  @IsString()
  @MaxLength(TEXT_MAX)
  from_uri?: string | null;

  @ApiPropertyOptional({ example: 'sip:100@203.0.113.1', maxLength: TEXT_MAX, nullable: true })
  @IsOptional()
  @StripNullCharacters()
  @IsString()
  @MaxLength(TEXT_MAX)
  to_uri?: string | null;

  @ApiPropertyOptional({ example: '203.0.113.1', maxLength: TEXT_MAX, nullable: true })
  @IsOptional()
  @StripNullCharacters()
  @IsString()
  @MaxLength(TEXT_MAX)
  domain?: string | null;

  @ApiPropertyOptional({
    example: 'unknown_domain',
    description: 'unknown_domain, domain_mismatch, query_failure, setid_not_found, flood, …',
    maxLength: 64,
    nullable: true,
  })
  @IsOptional()
  @StripNullCharacters()
  @IsString()
  @MaxLength(64)
  reason?: string | null;

  @ApiPropertyOptional({ example: 'friendly-scanner', maxLength: TEXT_MAX, nullable: true })
  @IsOptional()
  @StripNullCharacters()
  @IsString()
  @MaxLength(TEXT_MAX)
  user_agent?: string | null;
}

export class IngestResultDto {
  @ApiProperty({ description: 'Events stored' })
  accepted: number;

  @ApiProperty({ description: 'Events not stored: 401/407 digest challenges' })
  ignored: number;
}
