import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, EntityManager } from 'typeorm';
import type { EventTable } from './sip-events.repository';

/** One partition of an event table, and how much of it a retention cutoff has expired. */
export interface EventPartition {
  name: string;
  /** Every row it may hold is older than the cutoff: it can be dropped whole. */
  whollyExpired: boolean;
  /** Some rows it may hold are older than the cutoff (the day the cutoff falls in, the DEFAULT partition). */
  partlyExpired: boolean;
}

/** Creating partitions, one instance at a time per table: a transaction-level advisory lock (key, table). */
export const PARTITION_LOCK_KEY = 0x5265_6750; // "RegP"

/**
 * Waiting longer for a lock on an event table than this gives up until the next pass: dropping a partition
 * needs an ACCESS EXCLUSIVE lock on its parent, and while it waits behind a long query, every INSERT of
 * the proxy waits behind it.
 */
const PARTITION_LOCK_TIMEOUT = '2s';

/** PostgreSQL's lock_not_available, which lock_timeout raises. */
const LOCK_NOT_AVAILABLE = '55P03';

/**
 * The daily partitions of the event tables (migration PartitionSipEvents): which exist, creating the next
 * days' (through regshield_create_event_partition(), which the migration also uses) and dropping expired ones.
 * Partition names come from the catalog, never from a request.
 */
@Injectable()
export class EventPartitionsRepository {
  constructor(@InjectDataSource() private readonly dataSource: DataSource) {}

  /**
   * Creates the partitions of today (UTC) and of the `daysAhead` days after it that do not exist yet; how many
   * it created, or undefined when another instance is creating this table's partitions.
   */
  createPartitionsAhead(table: EventTable, daysAhead: number): Promise<number | undefined> {
    return this.dataSource.transaction(async (manager) => {
      const [{ locked }] = await manager.query<Array<{ locked: boolean }>>(
        'SELECT pg_try_advisory_xact_lock($1, hashtext($2)) AS locked',
        [PARTITION_LOCK_KEY, table],
      );
      if (!locked) return undefined;
      await manager.query(`SET LOCAL lock_timeout = '${PARTITION_LOCK_TIMEOUT}'`);
      const [{ created }] = await manager.query<Array<{ created: number }>>(
        `SELECT count(*) FILTER (WHERE regshield_create_event_partition($1, day::date))::int AS created
           FROM generate_series((now() AT TIME ZONE 'UTC')::date, (now() AT TIME ZONE 'UTC')::date + $2::int,
                                interval '1 day') day`,
        [table, daysAhead],
      );
      return created;
    });
  }

  /**
   * The table's partitions, oldest first, with their expiry at `cutoff`. The bounds come from the catalog
   * (a bound printed as a literal with its offset, MINVALUE, MAXVALUE or DEFAULT): any range partition counts,
   * daily or not.
   */
  findPartitions(session: EntityManager, table: EventTable, cutoff: string): Promise<EventPartition[]> {
    return session.query(
      `SELECT name, coalesce(upper_bound <= $2::timestamptz, false) AS "whollyExpired",
              NOT coalesce(lower_bound >= $2::timestamptz, false) AS "partlyExpired"
         FROM (SELECT c.relname AS name,
                      substring(pg_get_expr(c.relpartbound, c.oid) FROM 'FROM \\(''([^'']*)''\\)')::timestamptz AS lower_bound,
                      substring(pg_get_expr(c.relpartbound, c.oid) FROM 'TO \\(''([^'']*)''\\)')::timestamptz AS upper_bound
                 FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid
                WHERE i.inhparent = $1::regclass) bounds
        ORDER BY lower_bound NULLS FIRST, name`,
      [table, cutoff],
    );
  }

  /**
   * Drops one partition, in a transaction of its own; false when a lock did not come within the timeout (a
   * long query on the table), and the next pass tries again.
   */
  async dropPartition(partition: string): Promise<boolean> {
    try {
      await this.dataSource.transaction(async (manager) => {
        await manager.query(`SET LOCAL lock_timeout = '${PARTITION_LOCK_TIMEOUT}'`);
        await manager.query(`DROP TABLE ${quoteIdentifier(partition)}`);
      });
      return true;
    } catch (error) {
      if ((error as { code?: string }).code === LOCK_NOT_AVAILABLE) return false;
      throw error;
    }
  }
}

/** A name from the catalog, quoted as an identifier. */
export function quoteIdentifier(name: string): string {
  return `"${name.replaceAll('"', '""')}"`;
}
