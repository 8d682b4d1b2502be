import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, EntityManager } from 'typeorm';
import { AllowlistOrigin, SipAllowlistEntry } from '../database/entities/sip-allowlist-entry.entity';

export interface NewAllowlistEntry {
  cidr: string;
  description: string;
  origin: AllowlistOrigin;
}

export interface ConfigSyncResult {
  added: string[];
  removed: string[];
}

const ENTRY_COLUMNS = `id::text AS id, cidr::text AS cidr, description, origin, created_at AS "createdAt"`;

/**
 * sip_allowlist. All SQL, one style, as in SipBansRepository: overlap needs the cidr operator `&&`, and
 * "insert unless present" is one `ON CONFLICT DO NOTHING` instead of a read and a write that could race.
 */
@Injectable()
export class SipAllowlistRepository {
  constructor(@InjectDataSource() private readonly dataSource: DataSource) {}

  async findAll(): Promise<SipAllowlistEntry[]> {
    const rows: SipAllowlistEntry[] = await this.dataSource.query(
      `SELECT ${ENTRY_COLUMNS} FROM sip_allowlist ORDER BY cidr`,
    );
    return rows.map((row) => Object.assign(new SipAllowlistEntry(), row));
  }

  async findAllCidrs(): Promise<string[]> {
    const rows: Array<{ cidr: string }> = await this.dataSource.query('SELECT cidr::text AS cidr FROM sip_allowlist');
    return rows.map(({ cidr }) => cidr);
  }

  /** The widest entry overlapping the CIDR (containing it or inside it), if any. */
  async findOverlapping(cidr: string): Promise<string | undefined> {
    const rows: Array<{ cidr: string }> = await this.dataSource.query(
      'SELECT cidr::text AS cidr FROM sip_allowlist WHERE cidr && $1::cidr ORDER BY masklen(cidr) LIMIT 1',
      [cidr],
    );
    return rows[0]?.cidr;
  }

  /** Inside `tx`; undefined when the CIDR is already allowlisted. */
  async insertEntry(entry: NewAllowlistEntry, tx: EntityManager): Promise<SipAllowlistEntry | undefined> {
    const rows: SipAllowlistEntry[] = await tx.query(
      `INSERT INTO sip_allowlist (cidr, description, origin) VALUES ($1, $2, $3)
       ON CONFLICT (cidr) DO NOTHING RETURNING ${ENTRY_COLUMNS}`,
      [entry.cidr, entry.description, entry.origin],
    );
    return rows[0] && Object.assign(new SipAllowlistEntry(), rows[0]);
  }

  /** Inside `tx`; returns the removed entry's CIDR, or undefined when there was no such entry. */
  async deleteEntry(id: string, tx: EntityManager): Promise<string | undefined> {
    const [rows] = await tx.query<[Array<{ cidr: string }>, number]>(
      'DELETE FROM sip_allowlist WHERE id = $1 RETURNING cidr::text AS cidr',
      [id],
    );
    return rows[0]?.cidr;
  }

  /**
   * Makes the entries of origin 'config' exactly `cidrs`, in one transaction: those no longer listed are
   * removed, new ones added. An entry added through the API is never touched, even when the variable
   * lists (or stops listing) its CIDR.
   */
  replaceConfigEntries(cidrs: string[], description: string): Promise<ConfigSyncResult> {
    return this.dataSource.transaction(async (manager) => {
      const [removed] = await manager.query<[Array<{ cidr: string }>, number]>(
        `DELETE FROM sip_allowlist WHERE origin = 'config' AND NOT (cidr = ANY ($1::cidr[])) RETURNING cidr::text AS cidr`,
        [cidrs],
      );
      const added: Array<{ cidr: string }> = await manager.query(
        `INSERT INTO sip_allowlist (cidr, description, origin)
         SELECT DISTINCT unnest($1::cidr[]), $2, 'config' ON CONFLICT (cidr) DO NOTHING RETURNING cidr::text AS cidr`,
        [cidrs, description],
      );
      return { added: added.map(({ cidr }) => cidr), removed: removed.map(({ cidr }) => cidr) };
    });
  }
}
