import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { Pool } from 'pg';
import { DataSource } from 'typeorm';
import { ActiveBansSource } from './active-bans-source';

export interface PoolUsage {
  total: number;
  idle: number;
  waiting: number;
}

/** What the gauges read from the database layer at scrape time. */
@Injectable()
export class MetricsRepository implements ActiveBansSource {
  constructor(@InjectDataSource() private readonly dataSource: DataSource) {}

  /** One indexed count a scrape, through the database's own active-ban rule (`sip_active_bans()`). */
  async countActiveBans(): Promise<number> {
    const [{ count }]: Array<{ count: number }> = await this.dataSource.query(
      'SELECT count(*)::int AS count FROM sip_active_bans()',
    );
    return count;
  }

  /**
   * E-mails waiting in the outbox: due now or waiting for a retry. Read from the outbox's partial index of
   * pending rows, so a scrape costs the pending rows only, never the sent history.
   */
  async countPendingMail(): Promise<number> {
    const [{ count }]: Array<{ count: number }> = await this.dataSource.query(
      `SELECT count(*)::int AS count FROM mail_outbox WHERE status = 'pending'`,
    );
    return count;
  }

  /** The pg driver's pool; its counters are plain fields, so reading them costs no round trip. */
  readPoolUsage(): PoolUsage {
    const pool = (this.dataSource.driver as unknown as { master: Pool }).master;
    return { total: pool.totalCount, idle: pool.idleCount, waiting: pool.waitingCount };
  }
}
