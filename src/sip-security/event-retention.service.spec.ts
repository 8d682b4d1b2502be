import { EntityManager } from 'typeorm';
import { AppConfig, SipAccountsConfig } from '../config/app-config';
import { EventPartition, EventPartitionsRepository } from './event-partitions.repository';
import { EventRetentionService } from './event-retention.service';
import { EventTable, RetentionCursor, RetentionKeep, SipEventsRepository } from './sip-events.repository';

/** One partition of a fake table: its expiry and its expired row ids, deleted in (id) order. */
interface FakePartition extends EventPartition {
  expired: number[];
}

/** The partitions of each table, and the statements a pass ran on them. */
class FakeEvents {
  locked = false;
  lockTimeouts = new Set<string>();
  readonly batches: Array<{ partition: string; from: string; size: number }> = [];
  readonly dropped: string[] = [];
  /** The keep of each cutoff asked for, in order. */
  readonly keeps: RetentionKeep[] = [];
  readonly tables: Record<EventTable, FakePartition[]>;
  constructor(tables: Partial<Record<EventTable, FakePartition[]>>) {
    this.tables = { failed_registrations: [], door_knock_attempts: [], registration_successes: [], ...tables };
  }

  withRetentionLock<T>(work: (session: EntityManager) => Promise<T>): Promise<T | undefined> {
    return this.locked ? Promise.resolve(undefined) : work({} as EntityManager);
  }

  findRetentionCutoff(session: EntityManager, keep: RetentionKeep): Promise<string> {
    this.keeps.push(keep);
    return Promise.resolve('2026-01-01 00:00:00+00');
  }

  findPartitions(session: EntityManager, table: EventTable): Promise<EventPartition[]> {
    return Promise.resolve(this.tables[table]);
  }

  dropPartition(name: string): Promise<boolean> {
    if (this.lockTimeouts.has(name)) return Promise.resolve(false);
    this.dropped.push(name);
    return Promise.resolve(true);
  }

  deleteExpiredEvents(session: EntityManager, name: string, cutoff: string, from: RetentionCursor, size: number) {
    this.batches.push({ partition: name, from: from.id, size });
    const partition = Object.values(this.tables)
      .flat()
      .find((candidate) => candidate.name === name)!;
    const doomed = partition.expired.filter((id) => id > Number(from.id)).slice(0, size);
    partition.expired = partition.expired.filter((id) => !doomed.includes(id));
    const lastId = doomed.at(-1);
    return Promise.resolve({
      deleted: doomed.length,
      last: lastId === undefined ? undefined : { createdAt: '2025-01-01 00:00:00+00', id: String(lastId) },
    });
  }
}

function service(
  events: FakeEvents,
  retentionDays = 90,
  sipAccounts: Partial<SipAccountsConfig> = { historyDays: 30, trustTtlSeconds: 86_400 },
): EventRetentionService {
  const config = { sipEventRetentionDays: retentionDays, sipAccounts } as AppConfig;
  return new EventRetentionService(
    events as unknown as SipEventsRepository,
    events as unknown as EventPartitionsRepository,
    config,
  );
}

const ids = (count: number) => Array.from({ length: count }, (_, i) => i + 1);
const whole = (name: string): FakePartition => ({ name, whollyExpired: true, partlyExpired: true, expired: [] });
const part = (name: string, expired: number[]): FakePartition => ({
  name,
  whollyExpired: false,
  partlyExpired: true,
  expired,
});
const fresh = (name: string): FakePartition => ({ name, whollyExpired: false, partlyExpired: false, expired: [] });

describe('EventRetentionService', () => {
  it('drops wholly expired partitions and deletes only in the partly expired ones', async () => {
    const events = new FakeEvents({
      failed_registrations: [
        part('failed_registrations_default', []),
        whole('failed_registrations_p20251001'),
        whole('failed_registrations_p20251002'),
        part('failed_registrations_p20251003', ids(3)),
        fresh('failed_registrations_p20251004'),
      ],
      door_knock_attempts: [part('door_knock_attempts_default', ids(1))],
    });
    const result = await service(events).purgeExpiredEvents({ batchSize: 2, pauseMs: 0 });
    expect(result).toEqual({
      failed_registrations: { droppedPartitions: 2, deletedRows: 3 },
      door_knock_attempts: { droppedPartitions: 0, deletedRows: 1 },
      registration_successes: { droppedPartitions: 0, deletedRows: 0 },
    });
    expect(events.dropped).toEqual(['failed_registrations_p20251001', 'failed_registrations_p20251002']);
    expect(events.batches.map((batch) => batch.partition)).not.toContain('failed_registrations_p20251004');
  });

  it('drops the expired days of registration_successes through the same pass', async () => {
    const events = new FakeEvents({
      registration_successes: [
        whole('registration_successes_archive'),
        whole('registration_successes_p20251001'),
        part('registration_successes_p20251002', ids(2)),
        fresh('registration_successes_p20251003'),
      ],
    });
    const result = await service(events).purgeExpiredEvents({ batchSize: 5, pauseMs: 0 });
    expect(result?.registration_successes).toEqual({ droppedPartitions: 2, deletedRows: 2 });
    expect(events.dropped).toEqual(['registration_successes_archive', 'registration_successes_p20251001']);
  });

  it.each([
    // SIP_EVENT_RETENTION_DAYS, SIP_ACCOUNT_HISTORY_DAYS, SIP_TRUST_TTL: registration_successes keeps the longest.
    [90, 30, 86_400, { days: 90, seconds: 86_400 }],
    [7, 30, 86_400, { days: 30, seconds: 86_400 }],
    [7, 3, 40 * 86_400, { days: 7, seconds: 40 * 86_400 }],
  ])(
    'keeps registration_successes %i days, or longer when the account rules read further back (%i days, %i s)',
    async (retentionDays, historyDays, trustTtlSeconds, keep) => {
      const events = new FakeEvents({});
      await service(events, retentionDays, { historyDays, trustTtlSeconds }).purgeExpiredEvents();
      expect(events.keeps).toEqual([{ days: retentionDays, seconds: 0 }, { days: retentionDays, seconds: 0 }, keep]);
    },
  );

  it('leaves a partition whose drop waited too long for its lock whole, for the next pass', async () => {
    const events = new FakeEvents({
      failed_registrations: [whole('failed_registrations_p20251001')],
      door_knock_attempts: [],
    });
    events.lockTimeouts.add('failed_registrations_p20251001');
    const result = await service(events).purgeExpiredEvents({ batchSize: 2, pauseMs: 0 });
    expect(result?.failed_registrations).toEqual({ droppedPartitions: 0, deletedRows: 0 });
    expect(events.batches).toEqual([]);
  });

  it('deletes batch after batch, each starting after the last row of the one before, until a short batch', async () => {
    const events = new FakeEvents({
      failed_registrations: [part('failed_registrations_default', ids(5))],
      door_knock_attempts: [part('door_knock_attempts_default', ids(2))],
    });
    const result = await service(events).purgeExpiredEvents({ batchSize: 2, pauseMs: 0 });
    expect(result?.failed_registrations.deletedRows).toBe(5);
    expect(result?.door_knock_attempts.deletedRows).toBe(2);
    expect(events.batches).toEqual([
      { partition: 'failed_registrations_default', from: '0', size: 2 },
      { partition: 'failed_registrations_default', from: '2', size: 2 },
      { partition: 'failed_registrations_default', from: '4', size: 2 },
      { partition: 'door_knock_attempts_default', from: '0', size: 2 },
      // A full batch may have been the last one: one more statement finds nothing and ends the pass.
      { partition: 'door_knock_attempts_default', from: '2', size: 2 },
    ]);
  });

  it('does nothing while another instance holds the lock', async () => {
    const events = new FakeEvents({
      failed_registrations: [whole('failed_registrations_p20251001')],
      door_knock_attempts: [],
    });
    events.locked = true;
    expect(await service(events).purgeExpiredEvents()).toBeUndefined();
    expect(events.dropped).toEqual([]);
  });

  it('keeps everything when the retention is 0', async () => {
    const events = new FakeEvents({
      failed_registrations: [whole('failed_registrations_p20251001')],
      door_knock_attempts: [],
    });
    expect(await service(events, 0).purgeExpiredEvents()).toBeUndefined();
    expect(events.dropped).toEqual([]);
  });

  it('stops between batches once the service shuts down', async () => {
    const events = new FakeEvents({
      failed_registrations: [part('failed_registrations_default', ids(10))],
      door_knock_attempts: [part('door_knock_attempts_default', ids(10))],
    });
    const retention = service(events);
    const pass = retention.purgeExpiredEvents({ batchSize: 2, pauseMs: 20 });
    await new Promise((resolve) => setTimeout(resolve, 5));
    await retention.onApplicationShutdown();
    expect(await pass).toEqual({
      failed_registrations: { droppedPartitions: 0, deletedRows: 2 },
      door_knock_attempts: { droppedPartitions: 0, deletedRows: 0 },
      registration_successes: { droppedPartitions: 0, deletedRows: 0 },
    });
  });
});
