import { ApiProperty } from '@nestjs/swagger';
import { StatusReport } from '../status-report';

const NULLABLE_TIME = { type: String, format: 'date-time', nullable: true } as const;

export class ProxyStatusDto {
  @ApiProperty({ description: 'A SIP_PROXY_RPC_URLS entry, without its credentials' }) url: string;
  @ApiProperty({
    type: Boolean,
    nullable: true,
    description: 'Whether it holds the current bans: its last push succeeded (null: none finished yet)',
  })
  in_step: boolean | null;
  @ApiProperty({ ...NULLABLE_TIME, description: 'When its last push (or heartbeat) ended' }) last_push_at:
    string | null;
  @ApiProperty({ type: String, nullable: true, description: 'Why the last push failed; null once one succeeds' })
  last_error: string | null;
}

export class BouncerStatusDto {
  @ApiProperty() id: number;
  @ApiProperty() name: string;
  @ApiProperty({ ...NULLABLE_TIME, description: 'Its last pull of the decision stream or the ban export' })
  last_pull_at: string | null;
}

export class FeedStatusDto {
  @ApiProperty() name: string;
  @ApiProperty({ enum: ['in', 'out'] }) direction: 'in' | 'out';
  @ApiProperty(NULLABLE_TIME) last_success_at: string | null;
  @ApiProperty({ type: String, nullable: true }) last_error: string | null;
  @ApiProperty() healthy: boolean;
}

export class OutboxStatusDto {
  @ApiProperty({ description: 'E-mails not sent yet: due now or waiting for a retry' }) pending: number;
  @ApiProperty({ description: 'E-mails given up (MAIL_MAX_ATTEMPTS) in the last 24 hours' }) failed: number;
}

export class BanEngineStatusDto {
  @ApiProperty({
    type: Number,
    nullable: true,
    description:
      'Seconds since the time up to which this instance has evaluated every stored event (null before its first look)',
  })
  lag_seconds: number | null;
}

export class ServiceStateDto {
  @ApiProperty({ description: 'false when REDIS_URL is unset (Redis is not used)' }) configured: boolean;
  @ApiProperty({ type: Boolean, nullable: true, description: 'Whether it answers now; null when not configured' })
  up: boolean | null;
}

export class StatusDto {
  @ApiProperty({ format: 'date-time' }) checked_at: string;
  @ApiProperty({ description: 'true when `problems` is empty' }) ok: boolean;
  @ApiProperty({
    type: [String],
    description:
      'What is wrong, one sentence each: the database or Redis not answering, a proxy out of step, the ban ' +
      'engine more than 30 s behind, e-mails failed in the last 24 hours, a feed failing',
  })
  problems: string[];
  @ApiProperty({
    type: [ProxyStatusDto],
    description: 'Each SIP_PROXY_RPC_URLS proxy, as this instance last pushed to it',
  })
  proxies: ProxyStatusDto[];
  @ApiProperty({ type: [BouncerStatusDto], description: 'Each firewall bouncer key in force' })
  bouncers: BouncerStatusDto[];
  @ApiProperty({ type: [FeedStatusDto], description: 'Each ban feed, in or out' })
  feeds: FeedStatusDto[];
  @ApiProperty({ type: OutboxStatusDto, nullable: true, description: 'null while the database does not answer' })
  outbox: OutboxStatusDto | null;
  @ApiProperty({ type: BanEngineStatusDto }) ban_engine: BanEngineStatusDto;
  @ApiProperty({ type: ServiceStateDto, description: '`configured` is always true' }) database: ServiceStateDto;
  @ApiProperty({ type: ServiceStateDto }) redis: ServiceStateDto;

  static from(report: StatusReport & { problems: string[] }): StatusDto {
    const time = (date: Date | null) => date?.toISOString() ?? null;
    return {
      checked_at: report.checkedAt.toISOString(),
      ok: report.problems.length === 0,
      problems: report.problems,
      proxies: report.proxies.map((proxy) => ({
        url: proxy.url,
        in_step: proxy.inStep,
        last_push_at: time(proxy.lastPushAt),
        last_error: proxy.lastError,
      })),
      bouncers: report.bouncers.map((bouncer) => ({
        id: Number(bouncer.id),
        name: bouncer.name,
        last_pull_at: time(bouncer.lastPullAt),
      })),
      feeds: report.feeds.map((feed) => ({
        name: feed.name,
        direction: feed.direction,
        last_success_at: time(feed.lastSuccessAt),
        last_error: feed.lastError,
        healthy: feed.healthy,
      })),
      outbox: report.outbox,
      ban_engine: {
        lag_seconds: report.banEngineLagSeconds === null ? null : Math.round(report.banEngineLagSeconds * 10) / 10,
      },
      database: { configured: true, up: report.databaseUp },
      redis: { configured: report.redisUp !== null, up: report.redisUp },
    };
  }
}
