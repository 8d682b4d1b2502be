import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, EntityManager } from 'typeorm';
import { cappedTotal, countLimit, Page } from '../common/total-count';

export const ACCOUNT_ALERT_KINDS = ['credential_compromise', 'new_network', 'new_country'] as const;
export type AccountAlertKind = (typeof ACCOUNT_ALERT_KINDS)[number];

export interface AccountAlert {
  id: string;
  kind: AccountAlertKind;
  username: string;
  domain: string;
  sourceIp: string;
  country: string | null;
  evidence: Record<string, unknown>;
  createdAt: Date;
  resolvedAt: Date | null;
}

export interface NewAccountAlert {
  kind: AccountAlertKind;
  username: string;
  domain: string;
  sourceIp: string;
  country: string | null;
  evidence: Record<string, unknown>;
  registrationId: string | null;
}

export interface AccountAlertFilter {
  kind?: AccountAlertKind;
  /** Resolved or not; undefined: both. */
  resolved?: boolean;
  username?: string;
  domain?: string;
  since?: Date;
  until?: Date;
  skip: number;
  limit: number;
}

const ALERT_COLUMNS = `id::text AS id, kind, username, domain, host(source_ip) AS "sourceIp", country, evidence,
  created_at AS "createdAt", resolved_at AS "resolvedAt"`;

/** sip_account_alerts. */
@Injectable()
export class AccountAlertsRepository {
  constructor(@InjectDataSource() private readonly dataSource: DataSource) {}

  async insertAlert(alert: NewAccountAlert, tx: EntityManager): Promise<AccountAlert> {
    const [row] = await tx.query<AccountAlert[]>(
      `INSERT INTO sip_account_alerts (kind, username, domain, source_ip, country, evidence, registration_id)
       VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING ${ALERT_COLUMNS}`,
      [
        alert.kind,
        alert.username,
        alert.domain,
        alert.sourceIp,
        alert.country,
        JSON.stringify(alert.evidence),
        alert.registrationId,
      ],
    );
    return row;
  }

  /** Newest first, with a capped count as the event listings have. */
  async findAlerts(filter: AccountAlertFilter): Promise<Page<AccountAlert>> {
    const conditions: string[] = [];
    const values: unknown[] = [];
    const where = (predicate: (placeholder: string) => string, value: unknown) => {
      values.push(value);
      conditions.push(predicate(`$${values.length}`));
    };
    if (filter.kind !== undefined) where((p) => `kind = ${p}`, filter.kind);
    if (filter.resolved !== undefined) where((p) => `(resolved_at IS NOT NULL) = ${p}`, filter.resolved);
    if (filter.username !== undefined) where((p) => `username = ${p}`, filter.username);
    if (filter.domain !== undefined) where((p) => `domain = ${p}`, filter.domain.toLowerCase());
    if (filter.since !== undefined) where((p) => `created_at >= ${p}`, filter.since);
    if (filter.until !== undefined) where((p) => `created_at < ${p}`, filter.until);
    const clause = conditions.length === 0 ? '' : `WHERE ${conditions.join(' AND ')}`;
    const next = values.length + 1;
    const [items, [{ counted }]] = await Promise.all([
      this.dataSource.query<AccountAlert[]>(
        `SELECT ${ALERT_COLUMNS} FROM sip_account_alerts ${clause}
          ORDER BY created_at DESC, id DESC LIMIT $${next} OFFSET $${next + 1}`,
        [...values, filter.limit, filter.skip],
      ),
      this.dataSource.query<Array<{ counted: number }>>(
        `SELECT count(*)::int AS counted FROM (SELECT 1 FROM sip_account_alerts ${clause} LIMIT $${next}) matching`,
        [...values, countLimit(filter.skip) + 1],
      ),
    ]);
    return { items, ...cappedTotal(counted, filter.skip) };
  }

  /** Marks the alert handled (once: a resolved alert keeps its first resolution); undefined for an unknown id. */
  async resolveAlert(id: string, resolvedBy: string, tx: EntityManager): Promise<AccountAlert | undefined> {
    const [rows] = await tx.query<[AccountAlert[], number]>(
      `UPDATE sip_account_alerts SET resolved_at = COALESCE(resolved_at, now()),
              resolved_by = CASE WHEN resolved_at IS NULL THEN $2::uuid ELSE resolved_by END
        WHERE id = $1 RETURNING ${ALERT_COLUMNS}`,
      [id, resolvedBy],
    );
    return rows[0];
  }
}
