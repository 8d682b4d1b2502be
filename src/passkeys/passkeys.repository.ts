import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, EntityManager } from 'typeorm';

/** A passkey as its owner sees it: never the public key. */
export interface PasskeySummary {
  id: string;
  name: string;
  createdAt: Date;
  lastUsedAt: Date | null;
  backedUp: boolean;
}

/** What a sign-in checks an assertion against. */
export interface StoredPasskey {
  id: string;
  userId: string;
  credentialId: string;
  publicKey: Uint8Array<ArrayBuffer>;
  signCount: number;
  transports: string[];
}

/** A credential a registration verified, to be stored. */
export interface NewPasskey {
  credentialId: string;
  publicKey: Uint8Array;
  signCount: number;
  transports: string[];
  deviceType: string;
  backedUp: boolean;
  name: string;
}

type SummaryRow = { id: string; name: string; created_at: Date; last_used_at: Date | null; backed_up: boolean };

function summary(row: SummaryRow): PasskeySummary {
  return {
    id: row.id,
    name: row.name,
    createdAt: row.created_at,
    lastUsedAt: row.last_used_at,
    backedUp: row.backed_up,
  };
}

/** The passkeys table. */
@Injectable()
export class PasskeysRepository {
  constructor(@InjectDataSource() private readonly dataSource: DataSource) {}

  async listOfUser(userId: string): Promise<PasskeySummary[]> {
    const rows: SummaryRow[] = await this.dataSource.query(
      `SELECT id, name, created_at, last_used_at, backed_up FROM passkeys WHERE user_id = $1 ORDER BY created_at, id`,
      [userId],
    );
    return rows.map(summary);
  }

  /** The user's credentials, for a registration's exclude list (an authenticator must not register twice). */
  async credentialsOfUser(userId: string): Promise<Array<{ credentialId: string; transports: string[] }>> {
    const rows: Array<{ credential_id: string; transports: string[] }> = await this.dataSource.query(
      `SELECT credential_id, transports FROM passkeys WHERE user_id = $1`,
      [userId],
    );
    return rows.map((row) => ({ credentialId: row.credential_id, transports: row.transports }));
  }

  async findByCredentialId(credentialId: string): Promise<StoredPasskey | undefined> {
    const rows: Array<{
      id: string;
      user_id: string;
      credential_id: string;
      public_key: Buffer;
      sign_count: string;
      transports: string[];
    }> = await this.dataSource.query(
      `SELECT id, user_id, credential_id, public_key, sign_count, transports FROM passkeys WHERE credential_id = $1`,
      [credentialId],
    );
    const row = rows[0];
    return row
      ? {
          id: row.id,
          userId: row.user_id,
          credentialId: row.credential_id,
          publicKey: new Uint8Array(row.public_key),
          signCount: Number(row.sign_count),
          transports: row.transports,
        }
      : undefined;
  }

  async existsForUser(userId: string, tx?: EntityManager): Promise<boolean> {
    const rows: unknown[] = await (tx ?? this.dataSource.manager).query(
      `SELECT 1 FROM passkeys WHERE user_id = $1 LIMIT 1`,
      [userId],
    );
    return rows.length > 0;
  }

  async countOfUser(userId: string, tx: EntityManager): Promise<number> {
    const rows: Array<{ count: number }> = await tx.query(
      `SELECT count(*)::int AS count FROM passkeys WHERE user_id = $1`,
      [userId],
    );
    return rows[0].count;
  }

  /** Undefined when another account (or this one) already registered this credential. */
  async insert(userId: string, passkey: NewPasskey, tx: EntityManager): Promise<PasskeySummary | undefined> {
    const rows: SummaryRow[] = await tx.query(
      `INSERT INTO passkeys (user_id, credential_id, public_key, sign_count, transports, device_type, backed_up, name)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
       ON CONFLICT (credential_id) DO NOTHING
       RETURNING id, name, created_at, last_used_at, backed_up`,
      [
        userId,
        passkey.credentialId,
        Buffer.from(passkey.publicKey),
        passkey.signCount,
        passkey.transports,
        passkey.deviceType,
        passkey.backedUp,
        passkey.name,
      ],
    );
    return rows[0] ? summary(rows[0]) : undefined;
  }

  /** Undefined for an unknown id or another user's passkey. */
  async rename(id: string, userId: string, name: string): Promise<PasskeySummary | undefined> {
    const [rows]: [SummaryRow[], number] = await this.dataSource.query(
      `UPDATE passkeys SET name = $3 WHERE id = $1 AND user_id = $2
       RETURNING id, name, created_at, last_used_at, backed_up`,
      [id, userId, name],
    );
    return rows[0] ? summary(rows[0]) : undefined;
  }

  /** The removed passkey's name, or undefined for an unknown id or another user's passkey. */
  async deleteOwn(id: string, userId: string, tx: EntityManager): Promise<string | undefined> {
    const [rows]: [Array<{ name: string }>, number] = await tx.query(
      `DELETE FROM passkeys WHERE id = $1 AND user_id = $2 RETURNING name`,
      [id, userId],
    );
    return rows[0]?.name;
  }

  /** Deletes every passkey of the user (an admin's removal of a lost phone's factors); the ones it removed. */
  async deleteAllOfUser(userId: string, tx: EntityManager): Promise<Array<{ id: string; name: string }>> {
    const [rows]: [Array<{ id: string; name: string }>, number] = await tx.query(
      `DELETE FROM passkeys WHERE user_id = $1 RETURNING id, name`,
      [userId],
    );
    return rows;
  }

  /**
   * Notes a sign-in with the counter the authenticator reported. Only a counter above the stored one is
   * taken (or 0 again from an authenticator that keeps no counter): of two sign-ins presenting the same
   * counter (a credential and its clone, on two instances at once) only one succeeds.
   */
  async recordSignIn(id: string, newCounter: number): Promise<boolean> {
    const [, affected]: [unknown[], number] = await this.dataSource.query(
      `UPDATE passkeys SET sign_count = $2, last_used_at = now()
        WHERE id = $1 AND (sign_count < $2 OR (sign_count = 0 AND $2 = 0))`,
      [id, newCounter],
    );
    return affected === 1;
  }
}
