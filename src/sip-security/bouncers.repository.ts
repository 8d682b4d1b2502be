import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, EntityManager } from 'typeorm';

export interface Bouncer {
  id: string;
  name: string;
  keyPrefix: string;
  createdAt: Date;
  lastPullAt: Date | null;
}

export interface NewBouncer {
  name: string;
  keySha256: Buffer;
  keyPrefix: string;
  createdBy: string;
}

/** A bouncer's pull of the decision stream: the previous pull (null: never) and this one, by the database clock. */
export interface StreamPull {
  previousPull: Date | null;
  now: Date;
}

/** A ban as a firewall decision: the CIDR in force and the seconds left (null: until lifted). */
export interface BanDecision {
  id: string;
  cidr: string;
  reason: string;
  secondsLeft: number | null;
}

const BOUNCER_COLUMNS = `id::text AS id, name, key_prefix AS "keyPrefix", created_at AS "createdAt", last_pull_at AS "lastPullAt"`;

/**
 * Decisions: one row per CIDR (the longest-lasting ban on it), since a firewall knows a value, not our ban
 * ids; secondsLeft computed by the database's clock, like every expiry.
 */
const ACTIVE_DECISIONS = `
  SELECT DISTINCT ON (cidr) id::text AS id, cidr::text AS cidr, reason,
         ceil(extract(epoch FROM expires_at - now()))::int AS "secondsLeft"
    FROM sip_active_bans()`;
const LONGEST_FIRST = 'ORDER BY cidr, expires_at DESC NULLS FIRST';

/**
 * sip_bouncers, and the bans as the CrowdSec decision stream reads them. SQL, one style, as the other
 * repositories of the feature: the stream needs cidr operators and the database's active-ban definition.
 */
@Injectable()
export class BouncersRepository {
  constructor(@InjectDataSource() private readonly dataSource: DataSource) {}

  /** Inside `tx` (the admin's audit row commits with it). */
  async insertBouncer(bouncer: NewBouncer, tx: EntityManager): Promise<Bouncer> {
    const [row] = await tx.query<Bouncer[]>(
      `INSERT INTO sip_bouncers (name, key_sha256, key_prefix, created_by) VALUES ($1, $2, $3, $4)
       RETURNING ${BOUNCER_COLUMNS}`,
      [bouncer.name, bouncer.keySha256, bouncer.keyPrefix, bouncer.createdBy],
    );
    return row;
  }

  findActiveBouncers(): Promise<Bouncer[]> {
    return this.dataSource.query(`SELECT ${BOUNCER_COLUMNS} FROM sip_bouncers WHERE revoked_at IS NULL ORDER BY id`);
  }

  async findActiveBouncerIdByKey(keySha256: Buffer): Promise<string | undefined> {
    const rows: Array<{ id: string }> = await this.dataSource.query(
      'SELECT id::text AS id FROM sip_bouncers WHERE key_sha256 = $1 AND revoked_at IS NULL',
      [keySha256],
    );
    return rows[0]?.id;
  }

  /** Inside `tx`; returns the revoked bouncer's name, or undefined when there is no such active bouncer. */
  async revokeBouncer(id: string, revokedBy: string, tx: EntityManager): Promise<string | undefined> {
    const [rows] = await tx.query<[Array<{ name: string }>, number]>(
      `UPDATE sip_bouncers SET revoked_at = now(), revoked_by = $2 WHERE id = $1 AND revoked_at IS NULL
       RETURNING name`,
      [id, revokedBy],
    );
    return rows[0]?.name;
  }

  /** Records this pull and returns the previous one, atomically (two pulls of one bouncer never share a window). */
  async recordPull(bouncerId: string): Promise<StreamPull> {
    const [rows] = await this.dataSource.query<[StreamPull[], number]>(
      `UPDATE sip_bouncers b SET last_pull_at = now()
         FROM (SELECT id, last_pull_at FROM sip_bouncers WHERE id = $1 FOR UPDATE) previous
        WHERE b.id = previous.id
        RETURNING previous.last_pull_at AS "previousPull", now() AS now`,
      [bouncerId],
    );
    return rows[0];
  }

  findActiveDecisions(): Promise<BanDecision[]> {
    return this.dataSource.query(`${ACTIVE_DECISIONS} ${LONGEST_FIRST}`);
  }

  /** Active bans covering the address (an IPv4-mapped one is its IPv4 address, as everywhere). */
  findActiveDecisionsCovering(ip: string): Promise<BanDecision[]> {
    return this.dataSource.query(`${ACTIVE_DECISIONS} WHERE cidr >>= regshield_unmap_ipv4($1::inet) ${LONGEST_FIRST}`, [
      ip,
    ]);
  }

  findActiveDecisionsCreatedAfter(after: Date): Promise<BanDecision[]> {
    return this.dataSource.query(`${ACTIVE_DECISIONS} WHERE created_at > $1 ${LONGEST_FIRST}`, [after]);
  }

  /**
   * CIDRs whose ban was lifted or ran out in (after, upTo] and that no other ban still covers with the
   * same CIDR (a firewall would otherwise drop the value another ban still needs).
   */
  findDecisionsEndedBetween(after: Date, upTo: Date): Promise<BanDecision[]> {
    return this.dataSource.query(
      `SELECT DISTINCT ON (b.cidr) b.id::text AS id, b.cidr::text AS cidr, b.reason, 0 AS "secondsLeft"
         FROM sip_bans b
        WHERE ((b.lifted_at > $1 AND b.lifted_at <= $2) OR (b.lifted_at IS NULL AND b.expires_at > $1 AND b.expires_at <= $2))
          AND NOT EXISTS (SELECT 1 FROM sip_active_bans() a WHERE a.cidr = b.cidr)
        ORDER BY b.cidr, b.id DESC`,
      [after, upTo],
    );
  }
}
