import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';

export interface OutboxCounts {
  pending: number;
  failed: number;
}

/** What the status page reads from the database itself. */
@Injectable()
export class StatusRepository {
  constructor(@InjectDataSource() private readonly dataSource: DataSource) {}

  /**
   * E-mails waiting (the partial index of pending rows), and those given up in the last `failedWithinHours`
   * (a failure of last month is history, not a state).
   */
  async countOutbox(failedWithinHours: number): Promise<OutboxCounts> {
    const [row]: OutboxCounts[] = await this.dataSource.query(
      `SELECT (SELECT count(*) FROM mail_outbox WHERE status = 'pending')::int AS pending,
              (SELECT count(*) FROM mail_outbox
                WHERE status = 'failed' AND created_at > now() - make_interval(hours => $1))::int AS failed`,
      [failedWithinHours],
    );
    return row;
  }
}
