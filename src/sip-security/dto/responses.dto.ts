import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { DoorKnockAttempt } from '../../database/entities/door-knock-attempt.entity';
import { FailedRegistration } from '../../database/entities/failed-registration.entity';
import { SipAllowlistEntry } from '../../database/entities/sip-allowlist-entry.entity';
import { BanSource, SipBan } from '../../database/entities/sip-ban.entity';
import { BanCheck } from '../ban-index.service';
import { TimelineCounts } from '../sip-events.repository';
import { SipStats } from '../sip-events.service';

export class FailedRegistrationDto {
  @ApiProperty() id: number;
  @ApiProperty({ type: String, nullable: true }) username: string | null;
  @ApiProperty({ type: String, nullable: true }) domain: string | null;
  @ApiProperty() source_ip: string;
  @ApiProperty({ type: Number, nullable: true }) source_port: number | null;
  @ApiProperty({ type: String, nullable: true }) user_agent: string | null;
  @ApiProperty({ type: Number, nullable: true }) response_code: number | null;
  @ApiProperty({ type: String, nullable: true }) response_reason: string | null;
  @ApiProperty({ type: Number, nullable: true }) expires: number | null;
  @ApiProperty({ format: 'date-time' }) created_at: string;

  static from(row: FailedRegistration): FailedRegistrationDto {
    return {
      id: Number(row.id),
      username: row.username,
      domain: row.domain,
      source_ip: row.sourceIp,
      source_port: row.sourcePort,
      user_agent: row.userAgent,
      response_code: row.responseCode,
      response_reason: row.responseReason,
      expires: row.expires,
      created_at: row.createdAt.toISOString(),
    };
  }
}

export class DoorKnockDto {
  @ApiProperty() id: number;
  @ApiProperty() source_ip: string;
  @ApiProperty({ type: Number, nullable: true }) source_port: number | null;
  @ApiProperty({ type: String, nullable: true }) method: string | null;
  @ApiProperty({ type: String, nullable: true }) request_uri: string | null;
  @ApiProperty({ type: String, nullable: true }) from_uri: string | null;
  @ApiProperty({ type: String, nullable: true }) to_uri: string | null;
  @ApiProperty({ type: String, nullable: true }) domain: string | null;
  @ApiProperty({ type: String, nullable: true }) reason: string | null;
  @ApiProperty({ type: String, nullable: true }) user_agent: string | null;
  @ApiProperty({ format: 'date-time' }) created_at: string;

  static from(row: DoorKnockAttempt): DoorKnockDto {
    return {
      id: Number(row.id),
      source_ip: row.sourceIp,
      source_port: row.sourcePort,
      method: row.method,
      request_uri: row.requestUri,
      from_uri: row.fromUri,
      to_uri: row.toUri,
      domain: row.domain,
      reason: row.reason,
      user_agent: row.userAgent,
      created_at: row.createdAt.toISOString(),
    };
  }
}

export class BanDto {
  @ApiProperty() id: number;
  @ApiProperty({ example: '203.0.113.7/32' }) cidr: string;
  @ApiProperty() reason: string;
  @ApiProperty({ enum: ['auto', 'manual', 'feed'] }) source: BanSource;
  @ApiProperty({ type: String, nullable: true, description: 'The feed it came from, when source is feed' }) feed:
    string | null;
  @ApiProperty({ format: 'date-time' }) created_at: string;
  @ApiProperty({ type: String, format: 'date-time', nullable: true, description: 'null: until lifted' }) expires_at:
    string | null;

  static from(ban: SipBan): BanDto {
    return {
      id: Number(ban.id),
      cidr: ban.cidr,
      reason: ban.reason,
      source: ban.source,
      feed: ban.feed ?? null,
      created_at: new Date(ban.createdAt).toISOString(),
      expires_at: ban.expiresAt ? new Date(ban.expiresAt).toISOString() : null,
    };
  }
}

export class AllowlistEntryDto {
  @ApiProperty() id: number;
  @ApiProperty({ example: '192.0.2.0/24' }) cidr: string;
  @ApiProperty() description: string;
  @ApiProperty({ format: 'date-time' }) created_at: string;

  static from(entry: SipAllowlistEntry): AllowlistEntryDto {
    return {
      id: Number(entry.id),
      cidr: entry.cidr,
      description: entry.description,
      created_at: entry.createdAt.toISOString(),
    };
  }
}

export class CheckResultDto {
  @ApiProperty({ example: '203.0.113.7', description: 'Canonical form (::ffff:a.b.c.d is a.b.c.d)' }) ip: string;
  @ApiProperty() banned: boolean;
  @ApiProperty() allowlisted: boolean;
  @ApiProperty({ type: String, format: 'date-time', nullable: true, description: 'null: not banned, or until lifted' })
  expires_at: string | null;
  @ApiProperty({ type: String, nullable: true }) reason: string | null;

  static from(check: BanCheck): CheckResultDto {
    return {
      ip: check.ip,
      banned: check.banned,
      allowlisted: check.allowlisted,
      expires_at: check.expiresAt?.toISOString() ?? null,
      reason: check.reason,
    };
  }
}

class CountByCodeDto {
  @ApiProperty({ type: Number, nullable: true }) response_code: number | null;
  @ApiProperty() count: number;
}

class CountByReasonDto {
  @ApiProperty({ type: String, nullable: true }) reason: string | null;
  @ApiProperty() count: number;
}

class TopSourceDto {
  @ApiProperty() source_ip: string;
  @ApiProperty() failed_registrations: number;
  @ApiProperty() door_knocks: number;
  @ApiProperty() total: number;
  @ApiProperty() banned: boolean;
  @ApiPropertyOptional({ type: String, format: 'date-time', nullable: true }) ban_expires_at: string | null;
  @ApiProperty() allowlisted: boolean;
}

class TotalsDto {
  @ApiProperty() failed_registrations: number;
  @ApiProperty() door_knocks: number;
}

export class StatsDto {
  @ApiProperty({ format: 'date-time' }) since: string;
  @ApiProperty({ type: TotalsDto }) totals: TotalsDto;
  @ApiProperty({ type: [CountByCodeDto] }) by_response_code: CountByCodeDto[];
  @ApiProperty({ type: [CountByReasonDto] }) by_reason: CountByReasonDto[];
  @ApiProperty({ type: [TopSourceDto] }) top_sources: TopSourceDto[];

  static from(stats: SipStats): StatsDto {
    return {
      since: stats.since.toISOString(),
      totals: { failed_registrations: stats.totals.failedRegistrations, door_knocks: stats.totals.doorKnocks },
      by_response_code: stats.byResponseCode.map(({ responseCode, count }) => ({ response_code: responseCode, count })),
      by_reason: stats.byReason.map(({ reason, count }) => ({ reason, count })),
      top_sources: stats.topSources.map((source) => ({
        source_ip: source.sourceIp,
        failed_registrations: source.failedRegistrations,
        door_knocks: source.doorKnocks,
        total: source.total,
        banned: source.state.banned,
        ban_expires_at: source.state.expiresAt?.toISOString() ?? null,
        allowlisted: source.state.allowlisted,
      })),
    };
  }
}

export class TimelineBucketDto {
  @ApiProperty({ format: 'date-time', description: 'Start of the bucket: a whole UTC hour or day' }) start: string;
  @ApiProperty() failed_registrations: number;
  @ApiProperty() door_knocks: number;
  @ApiProperty({ description: 'Bans created in the bucket (automatic and manual, lifted since or not)' }) bans: number;

  static from(counts: TimelineCounts): TimelineBucketDto {
    return {
      start: new Date(counts.start).toISOString(),
      failed_registrations: counts.failedRegistrations,
      door_knocks: counts.doorKnocks,
      bans: counts.bans,
    };
  }
}
