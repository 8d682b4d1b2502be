import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, EntityManager } from 'typeorm';
import { EmailTokenKind } from './email-token';

/** A request for a link by e-mail, as stored until a worker handles it. */
export interface AccountEmailRequest {
  kind: EmailTokenKind;
  email: string;
}

/** The account_email_requests table: forgot-password and resend-verification requests waiting to be handled. */
@Injectable()
export class AccountEmailRequestsRepository {
  constructor(@InjectDataSource() private readonly dataSource: DataSource) {}

  async insert(request: AccountEmailRequest): Promise<void> {
    await this.dataSource.query('INSERT INTO account_email_requests (kind, email) VALUES ($1, $2)', [
      request.kind,
      request.email,
    ]);
  }

  /**
   * Whether any request is stored, held by an instance or not: one plain SELECT, outside any transaction,
   * what an idle worker asks instead of opening one.
   */
  async anyWaiting(): Promise<boolean> {
    const [{ waiting }] = await this.dataSource.query<Array<{ waiting: boolean }>>(
      'SELECT EXISTS (SELECT 1 FROM account_email_requests) AS waiting',
    );
    return waiting;
  }

  /**
   * Takes the oldest request no other instance holds (FOR UPDATE SKIP LOCKED), lets `handle` act on it in
   * the same transaction and deletes it there: a request is handled once, and a failure leaves it for a
   * later try. Returns false when nothing was waiting.
   */
  handleNext(handle: (request: AccountEmailRequest, tx: EntityManager) => Promise<void>): Promise<boolean> {
    return this.dataSource.transaction(async (tx) => {
      const rows: Array<{ id: string; kind: EmailTokenKind; email: string }> = await tx.query(
        `SELECT id, kind, email FROM account_email_requests ORDER BY id LIMIT 1 FOR UPDATE SKIP LOCKED`,
      );
      if (rows.length === 0) return false;
      const [row] = rows;
      await handle({ kind: row.kind, email: row.email }, tx);
      await tx.query('DELETE FROM account_email_requests WHERE id = $1', [row.id]);
      return true;
    });
  }
}
