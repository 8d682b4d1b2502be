import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, EntityManager } from 'typeorm';

/** A user's standing against ADMIN_MFA_REQUIRED, read inside the transaction that changes it. */
export interface FactorHolder {
  isSuperuser: boolean;
  hasTotp: boolean;
  hasPasskey: boolean;
}

/** The admin_factor_grace table, and the reads and row lock behind "not the last second factor". */
@Injectable()
export class AdminFactorsRepository {
  constructor(@InjectDataSource() private readonly dataSource: DataSource) {}

  /** When the grace period of this user started: now, the first time it is asked. */
  async graceStartedAt(userId: string): Promise<Date> {
    const rows: Array<{ started_at: Date }> = await this.dataSource.query(
      `WITH inserted AS (
         INSERT INTO admin_factor_grace (user_id) VALUES ($1) ON CONFLICT (user_id) DO NOTHING RETURNING started_at)
       SELECT started_at FROM inserted
       UNION ALL
       SELECT started_at FROM admin_factor_grace WHERE user_id = $1
       LIMIT 1`,
      [userId],
    );
    return rows[0].started_at;
  }

  /**
   * Locks the user's row until the transaction ends: removals of second factors (a passkey, TOTP) of one user
   * run one after the other, so that two of them cannot both pass the "not the last one" check.
   */
  async lockUser(userId: string, tx: EntityManager): Promise<void> {
    await tx.query(`SELECT 1 FROM users WHERE id = $1 FOR UPDATE`, [userId]);
  }

  /** The user's factors as the transaction sees them (after its own changes); undefined for an unknown user. */
  async factorsOf(userId: string, tx: EntityManager): Promise<FactorHolder | undefined> {
    const rows: Array<{ is_superuser: boolean; mfa_enabled: boolean; has_passkey: boolean }> = await tx.query(
      `SELECT is_superuser, mfa_enabled, EXISTS (SELECT 1 FROM passkeys WHERE user_id = users.id) AS has_passkey
         FROM users WHERE id = $1`,
      [userId],
    );
    const row = rows[0];
    return row ? { isSuperuser: row.is_superuser, hasTotp: row.mfa_enabled, hasPasskey: row.has_passkey } : undefined;
  }
}
