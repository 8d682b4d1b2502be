import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsIn, IsOptional, IsString, MaxLength, MinLength } from 'class-validator';
import { NoNullCharacters } from '../../common/text';
import { TimeWindowQueryDto } from '../../common/time-window-query.dto';
import { ACCOUNT_ALERT_KINDS, AccountAlert, AccountAlertKind } from '../account-alerts.repository';

export const ACCOUNT_ALERT_STATES = ['unresolved', 'resolved'] as const;

export class AccountAlertQueryDto extends TimeWindowQueryDto {
  @ApiPropertyOptional({ enum: ACCOUNT_ALERT_STATES, description: 'Omitted: both' })
  @IsOptional()
  @IsIn(ACCOUNT_ALERT_STATES)
  state?: (typeof ACCOUNT_ALERT_STATES)[number];

  @ApiPropertyOptional({ enum: ACCOUNT_ALERT_KINDS })
  @IsOptional()
  @IsIn(ACCOUNT_ALERT_KINDS)
  kind?: AccountAlertKind;

  @ApiPropertyOptional({ example: '1000' })
  @IsOptional()
  @IsString()
  @NoNullCharacters()
  @MinLength(1)
  @MaxLength(1024)
  username?: string;

  @ApiPropertyOptional({ example: 'sip.example.com' })
  @IsOptional()
  @IsString()
  @NoNullCharacters()
  @MinLength(1)
  @MaxLength(1024)
  domain?: string;
}

export class AccountAlertDto {
  @ApiProperty() id: number;
  @ApiProperty({ enum: ACCOUNT_ALERT_KINDS }) kind: AccountAlertKind;
  @ApiProperty({ example: '1000' }) username: string;
  @ApiProperty({ example: 'sip.example.com' }) domain: string;
  @ApiProperty({ example: '203.0.113.7' }) source_ip: string;
  @ApiProperty({ type: String, nullable: true, example: 'BR', description: 'ISO 3166 code; null without GEOIP_DB' })
  country: string | null;
  @ApiProperty({
    type: 'object',
    additionalProperties: true,
    description:
      'What the rule saw: for a compromise its rule (failed_then_succeeded, banned_source, username_sweep), ' +
      'the failures, usernames tried and ban; for a new network the earlier registrations and sources',
  })
  evidence: Record<string, unknown>;
  @ApiProperty({ format: 'date-time' }) created_at: string;
  @ApiProperty({ type: String, format: 'date-time', nullable: true }) resolved_at: string | null;

  static from(alert: AccountAlert): AccountAlertDto {
    return {
      id: Number(alert.id),
      kind: alert.kind,
      username: alert.username,
      domain: alert.domain,
      source_ip: alert.sourceIp,
      country: alert.country,
      evidence: alert.evidence,
      created_at: new Date(alert.createdAt).toISOString(),
      resolved_at: alert.resolvedAt === null ? null : new Date(alert.resolvedAt).toISOString(),
    };
  }
}
