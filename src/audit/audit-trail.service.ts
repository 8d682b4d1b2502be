import { Injectable } from '@nestjs/common';
import { EntityManager } from 'typeorm';
import { auditRecord, SecurityEvent, SecurityEventFields, SecurityLogService } from '../common/security-log.service';
import { Transactions } from '../database/transactions';
import { AuditRepository } from './audit.repository';

/** Stores one event's audit row in the transaction it was given to (see AuditTrail.run). */
export type RecordAuditEvent = (event: SecurityEvent, fields: SecurityEventFields) => Promise<void>;
/** Stores one row per fields of one event kind, in one statement, in the transaction it was given to. */
export type RecordAuditEvents = (event: SecurityEvent, fieldsOfEach: SecurityEventFields[]) => Promise<void>;

/**
 * The audit trail of admin actions (and of superusers made at start or by the CLI), which must survive
 * whatever happens after the answer: unlike the other security events (SecurityLogService.log, batched by
 * AuditBuffer), each row is stored by the transaction that makes the change, so the change and its row are
 * kept together or not at all.
 */
@Injectable()
export class AuditTrail {
  constructor(
    private readonly transactions: Transactions,
    private readonly audit: AuditRepository,
    private readonly securityLog: SecurityLogService,
  ) {}

  /**
   * Runs `work` in one transaction, every event it records stored by that transaction. The log lines follow
   * the commit, with their rows' times: a refused or rolled-back change logs nothing, and only a crash in
   * the instant between the commit and the line leaves a row without its line. `recordAll` is for a change
   * made to many rows at once (a bulk action): one row and one line per fields, the rows in one INSERT.
   */
  async run<T>(
    work: (tx: EntityManager, record: RecordAuditEvent, recordAll: RecordAuditEvents) => Promise<T>,
  ): Promise<T> {
    const recorded: Array<{ time: Date; event: SecurityEvent; fields: SecurityEventFields }> = [];
    const result = await this.transactions.run((tx) =>
      work(
        tx,
        async (event, fields) => {
          const time = new Date();
          await this.audit.insertInTransaction(tx, auditRecord(time, event, fields));
          recorded.push({ time, event, fields });
        },
        async (event, fieldsOfEach) => {
          const time = new Date();
          await this.audit.insertAllInTransaction(
            tx,
            fieldsOfEach.map((fields) => auditRecord(time, event, fields)),
          );
          for (const fields of fieldsOfEach) recorded.push({ time, event, fields });
        },
      ),
    );
    for (const { time, event, fields } of recorded) this.securityLog.logStored(time, event, fields);
    return result;
  }
}
