import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { And, DataSource, FindOperator, FindOptionsWhere, LessThan, MoreThanOrEqual } from 'typeorm';
import { Page } from '../common/total-count';
import { DoorKnockAttempt } from '../database/entities/door-knock-attempt.entity';
import { FailedRegistration } from '../database/entities/failed-registration.entity';
import { DoorKnockEvent, FailedRegistrationEvent } from './event-schemas';

/** Filters common to both listings; `sourceIp` is already in canonical form. */
export interface EventFilter {
  sourceIp?: string;
  domain?: string;
  since?: Date;
  until?: Date;
  skip: number;
  limit: number;
}

export interface FailedRegistrationFilter extends EventFilter {
  username?: string;
  responseCode?: number;
}

export interface DoorKnockFilter extends EventFilter {
  reason?: string;
}

export interface EventTotals {
  failedRegistrations: number;
  doorKnocks: number;
}

export interface CountByResponseCode {
  responseCode: number | null;
  count: number;
}

export interface CountByReason {
  reason: string | null;
  count: number;
}

export interface SourceActivity {
  sourceIp: string;
  failedRegistrations: number;
  doorKnocks: number;
  total: number;
}

/**
 * The two event tables the proxy shares with us. Listings are TypeORM finds on the entities; the batch
 * inserts and the statistics are SQL, where it pays: one `INSERT … SELECT FROM unnest(arrays)` stores a
 * batch of any size in one round trip and one statement (all or nothing), and the aggregates have no
 * entity to map to.
 */
@Injectable()
export class SipEventsRepository {
  constructor(@InjectDataSource() private readonly dataSource: DataSource) {}

  /** `events` hold canonical source addresses; digest challenges must already be filtered out. */
  async insertFailedRegistrations(events: FailedRegistrationEvent[]): Promise<void> {
    if (events.length === 0) return;
    await this.dataSource.query(
      `INSERT INTO failed_registrations
         (username, domain, source_ip, source_port, user_agent, response_code, response_reason, expires)
       SELECT * FROM unnest($1::text[], $2::text[], $3::inet[], $4::int[], $5::text[], $6::int[], $7::text[], $8::int[])`,
      [
        events.map((e) => e.username ?? null),
        events.map((e) => e.domain ?? null),
        events.map((e) => e.source_ip),
        events.map((e) => e.source_port ?? null),
        events.map((e) => e.user_agent ?? null),
        events.map((e) => e.response_code),
        events.map((e) => e.response_reason ?? null),
        events.map((e) => e.expires ?? null),
      ],
    );
  }

  /** `events` hold canonical source addresses. */
  async insertDoorKnocks(events: DoorKnockEvent[]): Promise<void> {
    if (events.length === 0) return;
    await this.dataSource.query(
      `INSERT INTO door_knock_attempts
         (source_ip, source_port, method, request_uri, from_uri, to_uri, domain, reason, user_agent)
       SELECT * FROM unnest($1::inet[], $2::int[], $3::text[], $4::text[], $5::text[], $6::text[], $7::text[], $8::text[], $9::text[])`,
      [
        events.map((e) => e.source_ip),
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
  }

  async findFailedRegistrations(filter: FailedRegistrationFilter): Promise<Page<FailedRegistration>> {
    const where: FindOptionsWhere<FailedRegistration> = commonWhere(filter);
    if (filter.username !== undefined) where.username = filter.username;
    if (filter.responseCode !== undefined) where.responseCode = filter.responseCode;
    const [items, total] = await this.dataSource.getRepository(FailedRegistration).findAndCount({
      where,
      order: { createdAt: 'DESC', id: 'DESC' },
      skip: filter.skip,
      take: filter.limit,
    });
    return { items, total };
  }

  async findDoorKnocks(filter: DoorKnockFilter): Promise<Page<DoorKnockAttempt>> {
    const where: FindOptionsWhere<DoorKnockAttempt> = commonWhere(filter);
    if (filter.reason !== undefined) where.reason = filter.reason;
    const [items, total] = await this.dataSource.getRepository(DoorKnockAttempt).findAndCount({
      where,
      order: { createdAt: 'DESC', id: 'DESC' },
      skip: filter.skip,
      take: filter.limit,
    });
    return { items, total };
  }

  async countEventsSince(since: Date): Promise<EventTotals> {
    const [totals] = (await this.dataSource.query(
      `SELECT (SELECT count(*) FROM failed_registrations WHERE created_at >= $1)::int AS "failedRegistrations",
              (SELECT count(*) FROM door_knock_attempts WHERE created_at >= $1)::int AS "doorKnocks"`,
      [since],
    )) as EventTotals[];
    return totals;
  }

  countFailedRegistrationsByResponseCode(since: Date): Promise<CountByResponseCode[]> {
    return this.dataSource.query(
      `SELECT response_code AS "responseCode", count(*)::int AS count FROM failed_registrations
        WHERE created_at >= $1 GROUP BY response_code ORDER BY count DESC, response_code`,
      [since],
    );
  }

  countDoorKnocksByReason(since: Date): Promise<CountByReason[]> {
    return this.dataSource.query(
      `SELECT reason, count(*)::int AS count FROM door_knock_attempts
        WHERE created_at >= $1 GROUP BY reason ORDER BY count DESC, reason`,
      [since],
    );
  }

  findTopSources(since: Date, limit: number): Promise<SourceActivity[]> {
    return this.dataSource.query(
      `SELECT host(source_ip) AS "sourceIp", sum(failed)::int AS "failedRegistrations", sum(knocks)::int AS "doorKnocks",
              sum(failed + knocks)::int AS total
         FROM (SELECT source_ip, 1 AS failed, 0 AS knocks FROM failed_registrations WHERE created_at >= $1
               UNION ALL
               SELECT source_ip, 0, 1 FROM door_knock_attempts WHERE created_at >= $1) events
        GROUP BY source_ip ORDER BY total DESC, source_ip LIMIT $2`,
      [since, limit],
    );
  }
}

/** TypeORM refuses undefined in a where object, so only the filters given are set. */
function commonWhere(filter: EventFilter): FindOptionsWhere<FailedRegistration & DoorKnockAttempt> {
  const where: FindOptionsWhere<FailedRegistration & DoorKnockAttempt> = {};
  if (filter.sourceIp !== undefined) where.sourceIp = filter.sourceIp;
  if (filter.domain !== undefined) where.domain = filter.domain;
  const createdAt = [
    filter.since === undefined ? undefined : MoreThanOrEqual(filter.since),
    filter.until === undefined ? undefined : LessThan(filter.until),
  ].filter((operator): operator is FindOperator<Date> => operator !== undefined);
  if (createdAt.length === 1) where.createdAt = createdAt[0];
  if (createdAt.length === 2) where.createdAt = And(...createdAt);
  return where;
}
