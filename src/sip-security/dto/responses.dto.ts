import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { DoorKnockAttempt } from '../../database/entities/door-knock-attempt.entity';
import { FailedRegistration } from '../../database/entities/failed-registration.entity';
import { SipAllowlistEntry } from '../../database/entities/sip-allowlist-entry.entity';
import { BanEvidence, BanRule, BanSource, SipBan } from '../../database/entities/sip-ban.entity';
import { BanCheck } from '../ban-index.service';
import { banStateAt } from '../ban-state';
import { BanState } from '../sip-bans.repository';
import { SourceReport } from '../sip-sources.service';
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
  @ApiProperty({ enum: ['active', 'lifted', 'expired'], description: 'Now: in force, lifted by an admin, or expired' })
  state: BanState;
  @ApiProperty({ type: String, format: 'date-time', nullable: true }) lifted_at: string | null;

  static from(ban: SipBan, now = new Date()): BanDto {
    return {
      id: Number(ban.id),
      cidr: ban.cidr,
      reason: ban.reason,
      source: ban.source,
      feed: ban.feed ?? null,
      created_at: new Date(ban.createdAt).toISOString(),
      expires_at: ban.expiresAt ? new Date(ban.expiresAt).toISOString() : null,
      state: banStateAt(ban, now),
      lifted_at: ban.liftedAt ? new Date(ban.liftedAt).toISOString() : null,
    };
  }
}

const COUNTS_BY_KIND = {
  type: 'object',
  additionalProperties: { type: 'integer' },
  example: { failed_registration: 3, unknown_domain: 2 },
  description: "Events by kind: `failed_registration`, or a door knock's reason (`door_knock` when it has none)",
} as const;

export class BanEvidenceDto {
  @ApiProperty({
    enum: ['decoy', 'max_retry', 'credential_compromise'],
    description:
      'decoy: one touch of a decoy username (SIP_DECOY_USERNAMES); max_retry: SIP_BAN_MAX_RETRY counted events within SIP_BAN_FIND_TIME; ' +
      'credential_compromise: the source registered an account it had been guessing (its account alert says which)',
  })
  rule: BanRule;
  @ApiProperty({ type: String, nullable: true, description: 'The decoy username touched (rule decoy)' })
  decoy_username: string | null;
  @ApiProperty({ description: 'SIP_BAN_MAX_RETRY when the ban was made' }) max_retry: number;
  @ApiProperty({ description: 'SIP_BAN_FIND_TIME when the ban was made' }) find_time_seconds: number;
  @ApiProperty(COUNTS_BY_KIND) counts: Record<string, number>;
  @ApiProperty() failed_registrations: number;
  @ApiProperty() door_knocks: number;
  @ApiProperty({ type: String, format: 'date-time', nullable: true }) first_event_at: string | null;
  @ApiProperty({ type: String, format: 'date-time', nullable: true }) last_event_at: string | null;
  @ApiProperty() distinct_usernames: number;
  @ApiProperty({ type: [String], description: 'Up to 50, most frequent first' }) usernames: string[];
  @ApiProperty({ type: [String], description: "Up to 50, most frequent first: the sender's own words" })
  user_agents: string[];
  @ApiProperty({ description: 'More events than were read (the latest 10 000 of each table)' }) truncated: boolean;

  static from(evidence: BanEvidence): BanEvidenceDto {
    return {
      rule: evidence.rule,
      decoy_username: evidence.decoyUsername,
      max_retry: evidence.maxRetry,
      find_time_seconds: evidence.findTimeSeconds,
      counts: evidence.counts,
      failed_registrations: evidence.failedRegistrations,
      door_knocks: evidence.doorKnocks,
      first_event_at: evidence.firstEventAt,
      last_event_at: evidence.lastEventAt,
      distinct_usernames: evidence.distinctUsernames,
      usernames: evidence.usernames,
      user_agents: evidence.userAgents,
      truncated: evidence.truncated,
    };
  }
}

export class BanDetailDto extends BanDto {
  @ApiProperty({ type: String, format: 'uuid', nullable: true, description: 'The admin who made a manual ban' })
  created_by: string | null;
  @ApiProperty({ type: String, format: 'uuid', nullable: true }) lifted_by: string | null;
  @ApiProperty({
    type: BanEvidenceDto,
    nullable: true,
    description:
      'What the engine saw when it made an automatic ban; null for a manual ban (its reason and created_by say why and who)',
  })
  evidence: BanEvidenceDto | null;

  static fromDetail(ban: SipBan): BanDetailDto {
    return {
      ...BanDto.from(ban),
      created_by: ban.createdBy,
      lifted_by: ban.liftedBy,
      evidence: ban.evidence ? BanEvidenceDto.from(ban.evidence) : null,
    };
  }
}

class SourceBanStateDto {
  @ApiProperty() banned: boolean;
  @ApiProperty() allowlisted: boolean;
  @ApiProperty({ type: String, format: 'date-time', nullable: true, description: 'null: not banned, or until lifted' })
  expires_at: string | null;
  @ApiProperty({ type: String, nullable: true }) reason: string | null;
}

export class SourceRegistrationDto {
  @ApiProperty({ example: '1001' }) username: string;
  @ApiProperty({ example: 'sip.example.com' }) domain: string;
  @ApiProperty({
    description: 'Successful registrations stored (the proxy reports one per SIP_SUCCESS_REPORT_INTERVAL)',
  })
  registrations: number;
  @ApiProperty({ format: 'date-time' }) last_registered_at: string;
}

export class SourceDto {
  @ApiProperty({ example: '203.0.113.7', description: 'Canonical form (::ffff:a.b.c.d is a.b.c.d)' }) ip: string;
  @ApiProperty() failed_registrations: number;
  @ApiProperty() door_knocks: number;
  @ApiProperty(COUNTS_BY_KIND) counts: Record<string, number>;
  @ApiProperty({ type: [String], description: 'The door-knock reasons seen, most frequent first' })
  door_knock_reasons: string[];
  @ApiProperty({ type: String, format: 'date-time', nullable: true }) first_seen_at: string | null;
  @ApiProperty({ type: String, format: 'date-time', nullable: true }) last_seen_at: string | null;
  @ApiProperty({ description: 'Distinct usernames in the events read' }) distinct_usernames: number;
  @ApiProperty({
    type: [String],
    description:
      "Up to 50, most frequent first, from the latest 10 000 events of each table (a door knock's: its To URI's user)",
  })
  usernames: string[];
  @ApiProperty({ type: [String], description: 'Up to 50, most frequent first, from the same events' })
  user_agents: string[];
  @ApiProperty({ type: SourceBanStateDto, description: 'Now, as check/{ip} answers' }) ban_state: SourceBanStateDto;
  @ApiProperty({ type: [BanDto], description: 'Every ban that covered the address, newest first' }) bans: BanDto[];
  @ApiProperty({
    description:
      'It (its SIP_BAN_IPV6_PREFIX for IPv6) registered an account within SIP_TRUST_TTL and has no compromise alert: ' +
      'its failures block a username from it alone, and it is banned only past SIP_TRUSTED_MAX_RETRY',
  })
  trusted: boolean;
  @ApiProperty({
    type: String,
    nullable: true,
    example: 'FR',
    description: 'ISO 3166 code from GEOIP_DB; null without it or when the database does not place the address',
  })
  country: string | null;
  @ApiProperty({
    type: [SourceRegistrationDto],
    description: 'The accounts that registered successfully from the address, latest first (up to 50)',
  })
  registrations: SourceRegistrationDto[];

  static from(report: SourceReport): SourceDto {
    const { activity, state } = report;
    const now = new Date();
    return {
      ip: report.ip,
      failed_registrations: activity.failedRegistrations,
      door_knocks: activity.doorKnocks,
      counts: activity.counts,
      door_knock_reasons: activity.doorKnockReasons,
      first_seen_at: activity.firstSeenAt?.toISOString() ?? null,
      last_seen_at: activity.lastSeenAt?.toISOString() ?? null,
      distinct_usernames: activity.distinctUsernames,
      usernames: activity.usernames,
      user_agents: activity.userAgents,
      ban_state: {
        banned: state.banned,
        allowlisted: state.allowlisted,
        expires_at: state.expiresAt?.toISOString() ?? null,
        reason: state.reason,
      },
      bans: report.bans.map((ban) => BanDto.from(ban, now)),
      trusted: report.accounts.trusted,
      country: report.accounts.country,
      registrations: report.accounts.registrations.map((registration) => ({
        username: registration.username,
        domain: registration.domain,
        registrations: registration.registrations,
        last_registered_at: registration.lastRegisteredAt.toISOString(),
      })),
    };
  }
}

export class AllowlistEntryDto {
  @ApiProperty() id: number;
  @ApiProperty({ example: '192.0.2.0/24' }) cidr: string;
  @ApiProperty() description: string;
  @ApiProperty({
    enum: ['api', 'config'],
    description:
      '`config`: from SIP_ALLOWLIST, put back at the next start if removed here while still in the variable; ' +
      '`api`: added through this API',
  })
  origin: 'api' | 'config';
  @ApiProperty({ format: 'date-time' }) created_at: string;

  static from(entry: SipAllowlistEntry): AllowlistEntryDto {
    return {
      id: Number(entry.id),
      cidr: entry.cidr,
      description: entry.description,
      origin: entry.origin,
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
