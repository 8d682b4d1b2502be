import { Injectable } from '@nestjs/common';
import { InjectDataSource, InjectRepository } from '@nestjs/typeorm';
import {
  And,
  DataSource,
  EntityManager,
  FindOperator,
  FindOptionsWhere,
  In,
  LessThan,
  MoreThanOrEqual,
  Repository,
} from 'typeorm';
import { QueryDeepPartialEntity } from 'typeorm/query-builder/QueryPartialEntity';
import { AuditRecord } from '../common/audit-buffer';
import { Page } from '../common/total-count';
import { AuditEvent } from '../database/entities/audit-event.entity';
import { User } from '../database/entities/user.entity';
import { prepared } from '../database/prepared-statements';

/** A stored event with the current addresses of the users it names (null when none, or the user is gone). */
export interface AuditEntry {
  event: AuditEvent;
  actorEmail: string | null;
  targetEmail: string | null;
}

export interface AuditFilter {
  event?: string;
  actorId?: string;
  targetId?: string;
  ip?: string;
  since?: Date;
  until?: Date;
}

/** The audit_events table: batches and single rows of a caller's transaction in, filtered pages out, old rows pruned. */
@Injectable()
export class AuditRepository {
  constructor(
    @InjectRepository(AuditEvent) private readonly events: Repository<AuditEvent>,
    @InjectDataSource() private readonly dataSource: DataSource,
  ) {}

  /**
   * One INSERT per batch, its columns passed as arrays: every security event is stored this way (each login
   * one or two), and TypeORM's insert builder, which also reads back each generated id, cost the event loop
   * about three times as much per row (~30 µs against ~11 µs, in batches of 30).
   */
  async insertEvents(records: AuditRecord[]): Promise<void> {
    if (records.length === 0) return;
    await this.dataSource.query(
      prepared(`INSERT INTO audit_events (time, event, ip, actor_id, target_id, details)
       SELECT * FROM unnest($1::timestamptz[], $2::text[], $3::inet[], $4::uuid[], $5::uuid[], $6::jsonb[])`),
      [
        records.map((record) => record.time),
        records.map((record) => record.event),
        records.map((record) => record.ip),
        records.map((record) => record.actorId),
        records.map((record) => record.targetId),
        records.map((record) => JSON.stringify(record.details)),
      ],
    );
  }

  /** One event, stored by the caller's transaction (the change it records commits with it, or neither does). */
  async insertInTransaction(tx: EntityManager, record: AuditRecord): Promise<void> {
    await tx.getRepository(AuditEvent).insert(record as QueryDeepPartialEntity<AuditEvent>);
  }

  /** Many events in one multi-row INSERT, stored by the caller's transaction (as insertInTransaction). */
  async insertAllInTransaction(tx: EntityManager, records: AuditRecord[]): Promise<void> {
    if (records.length === 0) return;
    await tx.getRepository(AuditEvent).insert(records as QueryDeepPartialEntity<AuditEvent>[]);
  }

  /**
   * Newest first; every filter has an index ending in this order (migration AuditEventsAndLastLogin). The
   * users' addresses come from a second lookup by primary key for the page's ids, not a join: events outlive
   * their users, and the page query keeps its indexes.
   */
  async findPage(filter: AuditFilter, skip: number, limit: number): Promise<Page<AuditEntry>> {
    // TypeORM refuses undefined in a where object, so only the filters given are set.
    const where: FindOptionsWhere<AuditEvent> = {};
    if (filter.event !== undefined) where.event = filter.event;
    if (filter.actorId !== undefined) where.actorId = filter.actorId;
    if (filter.targetId !== undefined) where.targetId = filter.targetId;
    if (filter.ip !== undefined) where.ip = filter.ip;
    const time = [
      filter.since === undefined ? undefined : MoreThanOrEqual(filter.since),
      filter.until === undefined ? undefined : LessThan(filter.until),
    ].filter((operator): operator is FindOperator<Date> => operator !== undefined);
    if (time.length === 1) where.time = time[0];
    if (time.length === 2) where.time = And(...time);
    const [items, total] = await this.events.findAndCount({
      where,
      order: { time: 'DESC', id: 'DESC' },
      skip,
      take: limit,
    });
    const userIds = [...new Set(items.flatMap((event) => [event.actorId, event.targetId]))].filter(
      (id): id is string => id !== null,
    );
    const users =
      userIds.length === 0
        ? []
        : await this.dataSource
            .getRepository(User)
            .find({ select: { id: true, email: true }, where: { id: In(userIds) } });
    const emails = new Map(users.map((user) => [user.id, user.email]));
    const emailOf = (id: string | null) => (id === null ? null : (emails.get(id) ?? null));
    return {
      items: items.map((event) => ({
        event,
        actorEmail: emailOf(event.actorId),
        targetEmail: emailOf(event.targetId),
      })),
      total,
    };
  }

  /**
   * Deletes up to `batchSize` events older than `before` and returns how many. Plain SQL: DELETE has no
   * LIMIT, and small batches keep each transaction (and its locks and WAL) short on a large table.
   */
  async deleteOlderThan(before: Date, batchSize: number): Promise<number> {
    const result: [unknown[], number] = await this.dataSource.query(
      `DELETE FROM audit_events WHERE id IN (SELECT id FROM audit_events WHERE time < $1 LIMIT $2)`,
      [before, batchSize],
    );
    return result[1];
  }
}
