import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, SelectQueryBuilder } from 'typeorm';
import { normalizeIp } from '../common/cidr';
import { Page } from '../common/total-count';
import { DoorKnockAttempt } from '../database/entities/door-knock-attempt.entity';
import { FailedRegistration } from '../database/entities/failed-registration.entity';
import { BanService } from './ban.service';
import { IngestResultDto } from './dto/events.dto';
import { DoorKnockEvent, FailedRegistrationEvent } from './event-schemas';
import { DoorKnockQueryDto, FailedRegistrationQueryDto } from './dto/queries.dto';

/** Digest challenges: part of normal authentication, never stored or counted. */
const CHALLENGE_CODES = new Set([401, 407]);
const DEFAULT_STATS_WINDOW_MS = 24 * 3600 * 1000;
const TOP_SOURCES = 20;

/**
 * Stores what the proxy reports and answers the admins' questions about it. A batch is stored with one
 * INSERT … SELECT FROM unnest(arrays): one round trip and one statement (all or nothing) whatever its size.
 */
@Injectable()
export class SipEventsService {
  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly bans: BanService,
  ) {}

  async ingestFailedRegistrations(events: FailedRegistrationEvent[]): Promise<IngestResultDto> {
    const kept = events.filter((event) => !CHALLENGE_CODES.has(event.response_code));
    if (kept.length > 0) {
      await this.dataSource.query(
        `INSERT INTO failed_registrations
           (username, domain, source_ip, source_port, user_agent, response_code, response_reason, expires)
         SELECT * FROM unnest($1::text[], $2::text[], $3::inet[], $4::int[], $5::text[], $6::int[], $7::text[], $8::int[])`,
        [
          kept.map((e) => e.username ?? null),
          kept.map((e) => e.domain ?? null),
          kept.map((e) => normalizeIp(e.source_ip)),
          kept.map((e) => e.source_port ?? null),
          kept.map((e) => e.user_agent ?? null),
          kept.map((e) => e.response_code),
          kept.map((e) => e.response_reason ?? null),
          kept.map((e) => e.expires ?? null),
        ],
      );
    }
    return { accepted: kept.length, ignored: events.length - kept.length };
  }

  async ingestDoorKnocks(events: DoorKnockEvent[]): Promise<IngestResultDto> {
    await this.dataSource.query(
      `INSERT INTO door_knock_attempts
         (source_ip, source_port, method, request_uri, from_uri, to_uri, domain, reason, user_agent)
       SELECT * FROM unnest($1::inet[], $2::int[], $3::text[], $4::text[], $5::text[], $6::text[], $7::text[], $8::text[], $9::text[])`,
      [
        events.map((e) => normalizeIp(e.source_ip)),
        events.map((e) => e.source_port ?? null),
        events.map((e) => e.method ?? null),
        events.map((e) => e.request_uri ?? null),
        events.map((e) => e.from_uri ?? null),
        events.map((e) => e.to_uri ?? null),
        events.map((e) => e.domain ?? null),
        events.map((e) => e.reason ?? null),
        events.map((e) => e.user_agent ?? null),
      ],
    );
    return { accepted: events.length, ignored: 0 };
  }

  listFailedRegistrations(query: FailedRegistrationQueryDto): Promise<Page<FailedRegistration>> {
    const builder = this.dataSource.getRepository(FailedRegistration).createQueryBuilder('event');
    this.applyCommonFilters(builder, query);
    if (query.username !== undefined) builder.andWhere('event.username = :username', { username: query.username });
    if (query.response_code !== undefined) builder.andWhere('event.response_code = :code', { code: query.response_code });
    return this.page(builder, query);
  }

  listDoorKnocks(query: DoorKnockQueryDto): Promise<Page<DoorKnockAttempt>> {
    const builder = this.dataSource.getRepository(DoorKnockAttempt).createQueryBuilder('event');
    this.applyCommonFilters(builder, query);
    if (query.reason !== undefined) builder.andWhere('event.reason = :reason', { reason: query.reason });
    return this.page(builder, query);
  }

  async stats(since?: Date) {
    const from = since ?? new Date(Date.now() - DEFAULT_STATS_WINDOW_MS);
    const [[totals], byCode, byReason, topSources] = await Promise.all([
      this.dataSource.query(
        `SELECT (SELECT count(*) FROM failed_registrations WHERE created_at >= $1)::int AS failed_registrations,
                (SELECT count(*) FROM door_knock_attempts WHERE created_at >= $1)::int AS door_knocks`,
        [from],
      ),
      this.dataSource.query(
        `SELECT response_code, count(*)::int AS count FROM failed_registrations
          WHERE created_at >= $1 GROUP BY response_code ORDER BY count DESC, response_code`,
        [from],
      ),
      this.dataSource.query(
        `SELECT reason, count(*)::int AS count FROM door_knock_attempts
          WHERE created_at >= $1 GROUP BY reason ORDER BY count DESC, reason`,
        [from],
      ),
      this.dataSource.query(
        `SELECT host(source_ip) AS source_ip, sum(failed)::int AS failed_registrations, sum(knocks)::int AS door_knocks,
                sum(failed + knocks)::int AS total
           FROM (SELECT source_ip, 1 AS failed, 0 AS knocks FROM failed_registrations WHERE created_at >= $1
                 UNION ALL
                 SELECT source_ip, 0, 1 FROM door_knock_attempts WHERE created_at >= $1) events
          GROUP BY source_ip ORDER BY total DESC, source_ip LIMIT ${TOP_SOURCES}`,
        [from],
      ),
    ]);
    return {
      since: from.toISOString(),
      totals,
      by_response_code: byCode,
      by_reason: byReason,
      top_sources: topSources.map((source: { source_ip: string }) => {
        const state = this.bans.check(source.source_ip);
        return { ...source, banned: state.banned, ban_expires_at: state.expires_at, allowlisted: state.allowlisted };
      }),
    };
  }

  private applyCommonFilters<T extends object>(
    builder: SelectQueryBuilder<T>,
    query: { source_ip?: string; domain?: string; since?: Date; until?: Date },
  ): void {
    if (query.source_ip !== undefined) {
      builder.andWhere('event.source_ip = :ip::inet', { ip: normalizeIp(query.source_ip) });
    }
    if (query.domain !== undefined) builder.andWhere('event.domain = :domain', { domain: query.domain });
    if (query.since !== undefined) builder.andWhere('event.created_at >= :since', { since: query.since });
    if (query.until !== undefined) builder.andWhere('event.created_at < :until', { until: query.until });
  }

  private async page<T extends object>(builder: SelectQueryBuilder<T>, query: { skip: number; limit: number }): Promise<Page<T>> {
    const [items, total] = await builder
      .orderBy('event.created_at', 'DESC')
      .addOrderBy('event.id', 'DESC')
      .skip(query.skip)
      .take(query.limit)
      .getManyAndCount();
    return { items, total };
  }
}
