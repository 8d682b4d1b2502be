import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, EntityManager } from 'typeorm';

export interface AccountBlock {
  id: string;
  username: string;
  domain: string;
  /** Set: that username from that source only. */
  sourceIp: string | null;
  reason: string;
  source: 'auto' | 'manual';
  alertId: string | null;
  createdAt: Date;
  /** null: until lifted. */
  expiresAt: Date | null;
}

export interface NewAccountBlock {
  username: string;
  domain: string;
  sourceIp: string | null;
  reason: string;
  source: 'auto' | 'manual';
  alertId: string | null;
  createdBy: string | null;
  durationSeconds: number | null;
}

const BLOCK_COLUMNS = `id::text AS id, username, domain, host(source_ip) AS "sourceIp", reason, source,
  alert_id::text AS "alertId", created_at AS "createdAt", expires_at AS "expiresAt"`;
const ACTIVE = 'lifted_at IS NULL AND (expires_at IS NULL OR expires_at > now())';

/** sip_account_blocks (its trigger tells every instance of a change, AccountBlocksService listens). */
@Injectable()
export class AccountBlocksRepository {
  constructor(@InjectDataSource() private readonly dataSource: DataSource) {}

  /** Active blocks, newest first. */
  findActiveBlocks(): Promise<AccountBlock[]> {
    return this.dataSource.query(
      `SELECT ${BLOCK_COLUMNS} FROM sip_account_blocks WHERE ${ACTIVE} ORDER BY created_at DESC, id DESC`,
    );
  }

  /** Expiry computed by the database's clock, as for bans. */
  async insertBlock(block: NewAccountBlock, tx: EntityManager): Promise<AccountBlock> {
    const [row] = await tx.query<AccountBlock[]>(
      `INSERT INTO sip_account_blocks (username, domain, source_ip, reason, source, alert_id, created_by, expires_at)
       VALUES ($1, $2, $3, $4, $5, $6, $7, now() + make_interval(secs => $8))
       RETURNING ${BLOCK_COLUMNS}`,
      [
        block.username,
        block.domain,
        block.sourceIp,
        block.reason,
        block.source,
        block.alertId,
        block.createdBy,
        block.durationSeconds,
      ],
    );
    return row;
  }

  /** Lifts an active block inside `tx`; undefined when there is no such active block. */
  async liftActiveBlock(id: string, liftedBy: string, tx: EntityManager): Promise<AccountBlock | undefined> {
    const [rows] = await tx.query<[AccountBlock[], number]>(
      `UPDATE sip_account_blocks SET lifted_at = now(), lifted_by = $2 WHERE id = $1 AND ${ACTIVE}
       RETURNING ${BLOCK_COLUMNS}`,
      [id, liftedBy],
    );
    return rows[0];
  }
}
