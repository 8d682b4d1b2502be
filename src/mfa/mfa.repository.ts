import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, EntityManager } from 'typeorm';

export interface TotpCredential {
  secretEncrypted: string;
  enabled: boolean;
}

/**
 * totp_credentials, mfa_recovery_codes and users.mfa_enabled (TypeORM answers an UPDATE or DELETE with
 * `[rows, count]`, an INSERT or SELECT with the rows). Every check that must not pass twice (a
 * time step, a recovery code) is one conditional UPDATE … RETURNING, so that two requests racing with the
 * same code cannot both win.
 */
@Injectable()
export class MfaRepository {
  constructor(@InjectDataSource() private readonly dataSource: DataSource) {}

  async findCredential(userId: string): Promise<TotpCredential | undefined> {
    const rows: Array<{ secret_encrypted: string; enabled: boolean }> = await this.dataSource.query(
      `SELECT secret_encrypted, enabled_at IS NOT NULL AS enabled FROM totp_credentials WHERE user_id = $1`,
      [userId],
    );
    return rows.length === 0 ? undefined : { secretEncrypted: rows[0].secret_encrypted, enabled: rows[0].enabled };
  }

  /** Stores a new pending secret, replacing a pending one; false (nothing changed) when one is enabled. */
  async savePendingSecret(userId: string, secretEncrypted: string): Promise<boolean> {
    const rows: unknown[] = await this.dataSource.query(
      `INSERT INTO totp_credentials (user_id, secret_encrypted) VALUES ($1, $2)
       ON CONFLICT (user_id) DO UPDATE
         SET secret_encrypted = EXCLUDED.secret_encrypted, last_used_step = 0, created_at = now()
         WHERE totp_credentials.enabled_at IS NULL
       RETURNING user_id`,
      [userId, secretEncrypted],
    );
    return rows.length === 1;
  }

  /**
   * Accepts a code's time step for an enabled credential (or, with `pending`, one awaiting its first code)
   * only if it is later than the last one accepted; true when it was.
   */
  async consumeTimeStep(
    userId: string,
    step: number,
    state: 'enabled' | 'pending',
    tx?: EntityManager,
  ): Promise<boolean> {
    const [rows] = await (tx ?? this.dataSource.manager).query<[unknown[], number]>(
      `UPDATE totp_credentials SET last_used_step = $2
        WHERE user_id = $1 AND last_used_step < $2 AND (enabled_at IS NOT NULL) = $3
        RETURNING user_id`,
      [userId, step, state === 'enabled'],
    );
    return rows.length === 1;
  }

  /** Marks the credential enabled, with these recovery codes (replacing any) and users.mfa_enabled. */
  async enable(userId: string, recoveryCodeHashes: Buffer[], tx: EntityManager): Promise<void> {
    await tx.query(`UPDATE totp_credentials SET enabled_at = now() WHERE user_id = $1`, [userId]);
    await tx.query(`DELETE FROM mfa_recovery_codes WHERE user_id = $1`, [userId]);
    await tx.query(`INSERT INTO mfa_recovery_codes (user_id, code_hash) SELECT $1, unnest($2::bytea[])`, [
      userId,
      recoveryCodeHashes,
    ]);
    await tx.query(`UPDATE users SET mfa_enabled = true WHERE id = $1`, [userId]);
  }

  /** Spends an unused recovery code; true when it was one. */
  async consumeRecoveryCode(userId: string, codeHash: Buffer): Promise<boolean> {
    const [rows] = await this.dataSource.query<[unknown[], number]>(
      `UPDATE mfa_recovery_codes SET used_at = now()
        WHERE user_id = $1 AND code_hash = $2 AND used_at IS NULL
        RETURNING user_id`,
      [userId, codeHash],
    );
    return rows.length === 1;
  }

  /**
   * Removes the credential (enabled or pending) and the recovery codes, inside `tx` when given; true when a
   * factor was enabled.
   */
  removeSecondFactor(userId: string, tx?: EntityManager): Promise<boolean> {
    const work = async (manager: EntityManager) => {
      const [removed] = await manager.query<[Array<{ enabled: boolean }>, number]>(
        `DELETE FROM totp_credentials WHERE user_id = $1 RETURNING enabled_at IS NOT NULL AS enabled`,
        [userId],
      );
      await manager.query(`DELETE FROM mfa_recovery_codes WHERE user_id = $1`, [userId]);
      await manager.query(`UPDATE users SET mfa_enabled = false WHERE id = $1 AND mfa_enabled`, [userId]);
      return removed.some((row) => row.enabled);
    };
    return tx ? work(tx) : this.dataSource.transaction(work);
  }

  /** Up to `limit` credentials whose secret is not under the current key (`currentKeyPrefix`). */
  async findSecretsNotUnder(
    currentKeyPrefix: string,
    limit: number,
  ): Promise<Array<{ userId: string; secret: string }>> {
    const rows: Array<{ user_id: string; secret_encrypted: string }> = await this.dataSource.query(
      `SELECT user_id, secret_encrypted FROM totp_credentials WHERE NOT starts_with(secret_encrypted, $1) LIMIT $2`,
      [currentKeyPrefix, limit],
    );
    return rows.map((row) => ({ userId: row.user_id, secret: row.secret_encrypted }));
  }

  /** Replaces a secret by its re-encryption, unless it changed meanwhile (a new setup, a removal). */
  async replaceSecret(userId: string, previous: string, reencrypted: string): Promise<void> {
    await this.dataSource.query(
      `UPDATE totp_credentials SET secret_encrypted = $3 WHERE user_id = $1 AND secret_encrypted = $2`,
      [userId, previous, reencrypted],
    );
  }
}
