import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, EntityManager } from 'typeorm';
import { prepared } from '../database/prepared-statements';

/**
 * The new-device lock of an account (insert) is (this, a hash of the user id): an advisory lock with two int4
 * keys, a key space apart from the one-bigint keys of the service's other advisory locks, and a first key of
 * its own beside PARTITION_LOCK_KEY's.
 */
export const NEW_DEVICE_LOCK_KEY = 0x5265_6744; // "RegD"

/** A device that signed in to an account, with its own lockout state and what its last sign-in left. */
export interface KnownDevice {
  id: string;
  userId: string;
  lockedUntil: Date | null;
  /** Whether its failure count or lock-time growth is not zero (a sign-in starts both over). */
  hasFailures: boolean;
  lastUsedAt: Date;
  lastIp: string | null;
  userAgent: string | null;
}

/** The device a verified device cookie names, to be looked for as recognise() would. */
export interface DeviceLookup {
  deviceId: string;
  userId: string;
  /** The device counts only if it signed in since then (DEVICE_COOKIE_TTL). */
  usedSince: Date;
}

/** The columns a KnownDevice is read from, of the table aliased `d`, named as KnownDeviceRow's. */
export const KNOWN_DEVICE_COLUMNS = `d.id AS device_id, d.user_id AS device_user_id, d.locked_until AS device_locked_until,
  (d.failed_login_count <> 0 OR d.lockout_count <> 0) AS device_has_failures, d.last_used_at AS device_last_used_at,
  host(d.last_ip) AS device_last_ip, d.user_agent AS device_user_agent`;

/** A row of KNOWN_DEVICE_COLUMNS; all null when an outer join found no device. */
export interface KnownDeviceRow {
  device_id: string | null;
  device_user_id: string;
  device_locked_until: Date | null;
  device_has_failures: boolean;
  device_last_used_at: Date;
  device_last_ip: string | null;
  device_user_agent: string | null;
}

/** The device of a row of KNOWN_DEVICE_COLUMNS, or undefined when the row has none. */
export function knownDeviceOf(row: KnownDeviceRow): KnownDevice | undefined {
  if (row.device_id === null) return undefined;
  return {
    id: row.device_id,
    userId: row.device_user_id,
    lockedUntil: row.device_locked_until,
    hasFailures: row.device_has_failures,
    lastUsedAt: row.device_last_used_at,
    lastIp: row.device_last_ip,
    userAgent: row.device_user_agent,
  };
}

/** Where a sign-in came from, as stored (the User-Agent already cut to size). */
export interface DeviceClient {
  ip: string;
  userAgent: string | null;
}

/** A device as its owner sees it in the list. */
export interface DeviceSummary {
  id: string;
  createdAt: Date;
  lastUsedAt: Date;
  lastIp: string | null;
  userAgent: string | null;
  /** Whether its sign-in opened the session asking. */
  current: boolean;
}

/**
 * The known_devices table. Lockout changes are single conditional UPDATEs, as on users
 * (LockoutRepository), so that concurrent failures on several instances count exactly and lock once.
 *
 * Lock order: a transaction that writes both a user's devices and the user's row writes the devices first (a
 * sign-in, an admin's unlock, a password reset), several devices in the order of their ids (insert's trim,
 * unlockAllOfUser). Two such transactions taking them in opposite orders could each hold a row the other waits
 * for: a deadlock, and one of them failed. Devices first because a sign-in, the hot path, writes the user's row
 * last, to keep concurrent sign-ins of the account waiting only for its commit; the rare unlock and reset
 * follow it rather than make every sign-in lock the user's row for its whole transaction. Before all of these,
 * a sign-in from a new device takes its account's new-device lock (insert), holding nothing yet.
 */
@Injectable()
export class KnownDevicesRepository {
  constructor(@InjectDataSource() private readonly dataSource: DataSource) {}

  /** The device, if it belongs to the user and signed in to it since `usedSince`. */
  async findRecentOfUser(deviceId: string, userId: string, usedSince: Date): Promise<KnownDevice | undefined> {
    const rows: KnownDeviceRow[] = await this.dataSource.query(
      prepared(`SELECT ${KNOWN_DEVICE_COLUMNS} FROM known_devices d
        WHERE d.id = $1 AND d.user_id = $2 AND d.last_used_at > $3`),
      [deviceId, userId, usedSince],
    );
    return rows.length === 0 ? undefined : knownDeviceOf(rows[0]);
  }

  /**
   * A new device of the user, and the user's least recently used ones deleted past `keep` (a script that logs
   * in without keeping cookies makes a device per login), in one statement: the DELETE cannot see the row the
   * same statement inserts, so it keeps the `keep - 1` newest of the others. `tx` must hold no lock yet (a
   * sign-in calls this first): see the new-device lock below.
   *
   * Exactly `keep`, not `keep` plus the concurrent sign-ins of the account less one: new devices of one account
   * are added one at a time, on every instance, behind a transaction-level advisory lock of the account. The
   * next one gets it once the one before has committed (or failed), and under READ COMMITTED its next statement
   * sees that one's device, so its trim counts it. Taken in the insert's own statement (a CTE), the lock would
   * come too late: the statement's snapshot is taken before it waits, and its trim would miss the devices of
   * the sign-ins it waited for all the same. Hence a round trip of its own, on new devices only: a sign-in from
   * a known device, most of them, never takes it. It cannot deadlock: a transaction waiting for it holds no lock
   * anyone waits for, and the one holding it goes on in the lock order above (the devices' rows, then the
   * user's), so it waits only for transactions that never take it (known-device sign-ins, unlocks, resets; the
   * prune skips locked rows). Two accounts whose ids hash alike merely share the queue.
   *
   * The rows trimmed are locked first, in the order of their ids, which never change, as unlockAllOfUser locks
   * the ones it writes: deleted in the order of whichever scan the planner picks (the index, most recently used
   * first, or the table, oldest first; the choice changes as the table grows), a trim and an unlock could each
   * hold a row the other waits for: a deadlock, and a failed sign-in or unlock.
   */
  async insert(userId: string, client: DeviceClient, keep: number, tx: EntityManager): Promise<string> {
    await tx.query('SELECT pg_advisory_xact_lock($1, hashtext($2::text))', [NEW_DEVICE_LOCK_KEY, userId]);
    const rows: Array<{ id: string }> = await tx.query(
      `WITH inserted AS (
         INSERT INTO known_devices (user_id, last_ip, user_agent) VALUES ($1, $2, $3) RETURNING id
       ), trimmed AS (
         DELETE FROM known_devices WHERE user_id = $1 AND id IN (
           SELECT id FROM known_devices WHERE user_id = $1 AND id NOT IN (
             SELECT id FROM known_devices WHERE user_id = $1 ORDER BY last_used_at DESC, created_at DESC LIMIT $4)
           ORDER BY id FOR UPDATE)
       )
       SELECT id FROM inserted`,
      [userId, client.ip, client.userAgent, keep - 1],
    );
    return rows[0].id;
  }

  /** A successful sign-in from the device: it is used now, and its failure count and lock growth start over. */
  async recordSignIn(deviceId: string, client: DeviceClient, tx?: EntityManager): Promise<void> {
    await (tx ?? this.dataSource.manager).query(
      prepared(`UPDATE known_devices
          SET last_used_at = now(), last_ip = $2, user_agent = $3, failed_login_count = 0, lockout_count = 0
        WHERE id = $1`),
      [deviceId, client.ip, client.userAgent],
    );
  }

  /**
   * Counts one failure of a device that is not locked now. Returns the new count and the locks so far, or
   * undefined when the device is locked (failures while locked do not count) or gone.
   */
  async countFailure(deviceId: string): Promise<{ failures: number; locks: number } | undefined> {
    const [rows]: [Array<{ failed_login_count: number; lockout_count: number }>, number] = await this.dataSource.query(
      `UPDATE known_devices SET failed_login_count = failed_login_count + 1
          WHERE id = $1 AND (locked_until IS NULL OR locked_until <= now())
          RETURNING failed_login_count, lockout_count`,
      [deviceId],
    );
    const row = rows[0];
    return row ? { failures: row.failed_login_count, locks: row.lockout_count } : undefined;
  }

  /**
   * Locks the device for `seconds` if it still has at least `maxFailures` failures counted (only the first
   * of two requests that reached the limit together locks). Returns the lock's end, or undefined.
   */
  async lock(deviceId: string, maxFailures: number, seconds: number): Promise<Date | undefined> {
    const [rows]: [Array<{ locked_until: Date }>, number] = await this.dataSource.query(
      `UPDATE known_devices
          SET failed_login_count = 0, lockout_count = lockout_count + 1,
              locked_until = now() + make_interval(secs => $3)
        WHERE id = $1 AND failed_login_count >= $2
        RETURNING locked_until`,
      [deviceId, maxFailures, seconds],
    );
    return rows[0]?.locked_until;
  }

  /**
   * Ends the locks of every device of the user and clears their counts (an admin's unlock, a password reset),
   * before the user's row is written (the lock order above). The rows are locked in the order of their ids, as
   * the trim of insert() locks the ones it deletes, whichever scan the planner picks, so that two of these, or
   * one and a trim, wait for each other instead of deadlocking.
   */
  async unlockAllOfUser(userId: string, tx: EntityManager): Promise<void> {
    await tx.query(
      `UPDATE known_devices SET failed_login_count = 0, lockout_count = 0, locked_until = NULL
        WHERE user_id = $1 AND id IN (
          SELECT id FROM known_devices
           WHERE user_id = $1 AND (failed_login_count <> 0 OR lockout_count <> 0 OR locked_until IS NOT NULL)
           ORDER BY id FOR UPDATE)`,
      [userId],
    );
  }

  /**
   * The user's devices used since `usedSince` (older ones are no longer recognised), most recently used
   * first, each marked whether it opened the session `sessionId` (sessions.device_id).
   */
  async listOfUser(userId: string, sessionId: string, usedSince: Date): Promise<DeviceSummary[]> {
    const rows: Array<{
      id: string;
      created_at: Date;
      last_used_at: Date;
      last_ip: string | null;
      user_agent: string | null;
      current: boolean;
    }> = await this.dataSource.query(
      `SELECT d.id, d.created_at, d.last_used_at, host(d.last_ip) AS last_ip, d.user_agent,
              d.id IS NOT DISTINCT FROM (SELECT device_id FROM sessions WHERE id = $2) AS current
         FROM known_devices d
        WHERE d.user_id = $1 AND d.last_used_at > $3
        ORDER BY d.last_used_at DESC, d.created_at DESC`,
      [userId, sessionId, usedSince],
    );
    return rows.map((row) => ({
      id: row.id,
      createdAt: row.created_at,
      lastUsedAt: row.last_used_at,
      lastIp: row.last_ip,
      userAgent: row.user_agent,
      current: row.current,
    }));
  }

  /** Deletes the device if it is the user's; returns whether it was. */
  async deleteOfUser(deviceId: string, userId: string): Promise<boolean> {
    const [, affected]: [unknown[], number] = await this.dataSource.query(
      `DELETE FROM known_devices WHERE id = $1 AND user_id = $2`,
      [deviceId, userId],
    );
    return affected > 0;
  }

  /**
   * Deletes up to `limit` devices unused since `before`; returns how many. A row another transaction holds is
   * skipped: it is a device signing in (or being unlocked) right now, so not unused, and waiting for it while
   * holding other devices' rows, in whatever order the scan met them, could deadlock with a transaction that
   * locks several of one account's devices (the lock order above).
   */
  async deleteUnusedSince(before: Date, limit: number): Promise<number> {
    const [, affected]: [unknown[], number] = await this.dataSource.query(
      `DELETE FROM known_devices
        WHERE id IN (SELECT id FROM known_devices WHERE last_used_at < $1 LIMIT $2 FOR UPDATE SKIP LOCKED)`,
      [before, limit],
    );
    return affected;
  }
}
