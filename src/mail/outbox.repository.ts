import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, EntityManager } from 'typeorm';
import { MailKind, MailMessage } from './mail-message';

export interface QueuedMail extends MailMessage {
  id: string;
  /** Attempts made before this one. */
  attempts: number;
}

/** What became of one attempt: the worker decides, the repository records it in the same transaction. */
export type DeliveryOutcome =
  { status: 'sent' } | { status: 'retry'; retryInMs: number; error: string } | { status: 'failed'; error: string };

/**
 * The mail_outbox table. Plain SQL throughout: claiming a row needs `FOR UPDATE SKIP LOCKED`, which
 * TypeORM's find options cannot say, and one style per table reads better than two.
 */
@Injectable()
export class OutboxRepository {
  constructor(@InjectDataSource() private readonly dataSource: DataSource) {}

  /** Queues an e-mail; pass the transaction of the change that causes it, so that both commit or neither. */
  async insertMessage(message: MailMessage, tx?: EntityManager): Promise<void> {
    await (tx ?? this.dataSource.manager).query(
      `INSERT INTO mail_outbox (kind, recipient, subject, text_body, html_body) VALUES ($1, $2, $3, $4, $5)`,
      [message.kind, message.to, message.subject, message.text, message.html],
    );
  }

  /** Queues several e-mails in one INSERT (a bulk action's notices), inside `tx` when given, as insertMessage. */
  async insertMessages(messages: MailMessage[], tx?: EntityManager): Promise<void> {
    if (messages.length === 0) return;
    await (tx ?? this.dataSource.manager).query(
      `INSERT INTO mail_outbox (kind, recipient, subject, text_body, html_body)
       SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[])`,
      [
        messages.map((message) => message.kind),
        messages.map((message) => message.to),
        messages.map((message) => message.subject),
        messages.map((message) => message.text),
        messages.map((message) => message.html),
      ],
    );
  }

  /**
   * Milliseconds until the earliest pending message is due (≤ 0: due now, whoever holds it), by the
   * database's clock; undefined when none is pending. One index lookup, outside any transaction: what an
   * idle worker asks instead of opening one.
   */
  async findNextDueInMs(): Promise<number | undefined> {
    const [{ dueInMs }] = await this.dataSource.query<Array<{ dueInMs: number | null }>>(
      `SELECT (extract(epoch FROM min(next_attempt_at) - now()) * 1000)::float8 AS "dueInMs"
         FROM mail_outbox WHERE status = 'pending'`,
    );
    return dueInMs ?? undefined;
  }

  /**
   * Locks the oldest due message that no other instance holds, lets `deliver` send it while the row stays
   * locked (so no other instance can send it too), and records the outcome in the same transaction.
   * Returns the message and its outcome, or undefined when nothing was due.
   */
  processNextDue(
    deliver: (message: QueuedMail) => Promise<DeliveryOutcome>,
  ): Promise<{ message: QueuedMail; outcome: DeliveryOutcome } | undefined> {
    return this.dataSource.transaction(async (tx) => {
      const rows: Array<Record<string, unknown>> = await tx.query(
        `SELECT id, kind, recipient, subject, text_body, html_body, attempts
           FROM mail_outbox
          WHERE status = 'pending' AND next_attempt_at <= now()
          ORDER BY next_attempt_at, id
          LIMIT 1
            FOR UPDATE SKIP LOCKED`,
      );
      if (rows.length === 0) return undefined;
      const [row] = rows;
      const message: QueuedMail = {
        id: String(row.id),
        kind: row.kind as MailKind,
        to: row.recipient as string,
        subject: row.subject as string,
        text: row.text_body as string,
        html: row.html_body as string,
        attempts: row.attempts as number,
      };
      const outcome = await deliver(message);
      await this.recordOutcome(tx, message.id, outcome);
      return { message, outcome };
    });
  }

  /**
   * Deletes up to `limit` messages sent more than `keepDays` days ago; says how many. Failed messages stay:
   * they are few, and an operator may want to read what could not be delivered.
   */
  async deleteSentBefore(keepDays: number, limit: number): Promise<number> {
    const [, affected]: [unknown[], number] = await this.dataSource.query(
      `DELETE FROM mail_outbox WHERE id IN (
         SELECT id FROM mail_outbox WHERE status = 'sent' AND sent_at < now() - make_interval(days => $1) LIMIT $2)`,
      [keepDays, limit],
    );
    return affected;
  }

  private async recordOutcome(tx: EntityManager, id: string, outcome: DeliveryOutcome): Promise<void> {
    switch (outcome.status) {
      case 'sent':
        await tx.query(
          `UPDATE mail_outbox
              SET status = 'sent', attempts = attempts + 1, sent_at = now(), text_body = NULL, html_body = NULL,
                  last_error = NULL
            WHERE id = $1`,
          [id],
        );
        return;
      case 'retry':
        await tx.query(
          `UPDATE mail_outbox
              SET attempts = attempts + 1, last_error = $2,
                  next_attempt_at = now() + make_interval(secs => $3::double precision / 1000)
            WHERE id = $1`,
          [id, outcome.error, outcome.retryInMs],
        );
        return;
      case 'failed':
        await tx.query(
          `UPDATE mail_outbox SET status = 'failed', attempts = attempts + 1, last_error = $2 WHERE id = $1`,
          [id, outcome.error],
        );
        return;
    }
  }
}
