import { Injectable } from '@nestjs/common';
import ipaddr from 'ipaddr.js';

/** A security event as the audit table stores it. */
export interface AuditRecord {
  time: Date;
  event: string;
  ip: string | null;
  actorId: string | null;
  targetId: string | null;
  details: Record<string, unknown>;
}

/** Past this many events waiting (a long database outage), the oldest are dropped from the table's copy. */
export const AUDIT_BUFFER_CAPACITY = 50_000;

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/**
 * Security events on their way from SecurityLogService to the audit table, stored in batches by
 * AuditWriter. Why a buffer and not an INSERT inside log(): the log line is the record that must never be
 * lost or wait (Fail2Ban reads it, and it is written while the database may be down); the table is its
 * queryable copy. So log() writes the line first, synchronously, then hands the same event here; a
 * database outage delays the rows, and only a crash or an outage longer than the capacity loses rows —
 * never lines. Both come from the one log() call, with the same time and fields.
 */
@Injectable()
export class AuditBuffer {
  private pending: AuditRecord[] = [];
  private droppedCount = 0;

  add(time: Date, event: string, fields: Record<string, unknown>): void {
    this.pending.push(toRecord(time, event, fields));
    if (this.pending.length > AUDIT_BUFFER_CAPACITY) {
      this.pending.shift();
      this.droppedCount += 1;
    }
  }

  /** Takes up to `max` events, oldest first. */
  take(max: number): AuditRecord[] {
    return this.pending.splice(0, max);
  }

  /** Puts back a batch that could not be stored, ahead of what arrived meanwhile. */
  giveBack(batch: AuditRecord[]): void {
    this.pending.unshift(...batch);
    const excess = this.pending.length - AUDIT_BUFFER_CAPACITY;
    if (excess > 0) {
      this.pending.splice(0, excess);
      this.droppedCount += excess;
    }
  }

  get size(): number {
    return this.pending.length;
  }

  /** How many events were dropped since the last call. */
  takeDroppedCount(): number {
    const count = this.droppedCount;
    this.droppedCount = 0;
    return count;
  }
}

/**
 * The columns the audit route filters on, taken from the event's fields: `actor_id`, and as target the
 * `target_id` or else the `user_id` the event is about; the rest stays in `details`. A value of the wrong
 * form stays in `details` rather than failing the batch's INSERT.
 */
export function toRecord(time: Date, event: string, fields: Record<string, unknown>): AuditRecord {
  const { ip, actor_id: actorId, target_id: targetId, ...details } = fields;
  const target = targetId ?? fields.user_id;
  const record: AuditRecord = { time, event, ip: null, actorId: null, targetId: null, details };
  if (typeof ip === 'string' && ipaddr.isValid(ip)) record.ip = ip;
  else if (ip !== undefined) details.ip = ip;
  if (typeof actorId === 'string' && UUID.test(actorId)) record.actorId = actorId;
  else if (actorId !== undefined) details.actor_id = actorId;
  if (typeof target === 'string' && UUID.test(target)) record.targetId = target;
  else if (targetId !== undefined) details.target_id = targetId;
  return record;
}
