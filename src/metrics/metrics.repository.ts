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

  /**
   * Interim source of the active-ban gauge, until the SIP module provides ACTIVE_BANS_SOURCE from its
   * in-memory ban index (no query per scrape). Same predicate as the SIP module's active-ban rule.
   */
  async countActiveBans(): Promise<number> {
    const [{ count }]: Array<{ count: number }> = await this.dataSource.query(
      'SELECT count(*)::int AS count FROM sip_bans WHERE lifted_at IS NULL AND (expires_at IS NULL OR expires_at > now())',
    );
    return count;
  }

  /** The pg driver's pool; its counters are plain fields, so reading them costs no round trip. */
  readPoolUsage(): PoolUsage {
    const pool = (this.dataSource.driver as unknown as { master: Pool }).master;
    return { total: pool.totalCount, idle: pool.idleCount, waiting: pool.waitingCount };
  }
}
