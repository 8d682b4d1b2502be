import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, EntityManager } from 'typeorm';
import { LIVE_CHANNEL } from './live-event';

export interface SipMinuteCounts {
  failedRegistrations: number;
  doorKnocks: number;
}

/** The live stream's queries: its notification, and the per-minute SIP counts it sends. */
@Injectable()
export class LiveEventsRepository {
  constructor(@InjectDataSource() private readonly dataSource: DataSource) {}

  /**
   * Sends the payload on the live channel. Inside `tx` it is delivered when (and only if) that transaction
   * commits, with its change; without one, at once.
   */
  async notify(payload: string, tx?: EntityManager): Promise<void> {
    await (tx ?? this.dataSource.manager).query('SELECT pg_notify($1, $2)', [LIVE_CHANNEL, payload]);
  }

  /** Events stored in the last minute, on the (created_at) indexes of both tables. */
  async countSipEventsInLastMinute(): Promise<SipMinuteCounts> {
    const [row]: Array<{ failed: number; knocks: number }> = await this.dataSource.query(
      `SELECT (SELECT count(*) FROM failed_registrations WHERE created_at > now() - interval '1 minute')::int AS failed,
              (SELECT count(*) FROM door_knock_attempts WHERE created_at > now() - interval '1 minute')::int AS knocks`,
    );
    return { failedRegistrations: row.failed, doorKnocks: row.knocks };
  }
}
