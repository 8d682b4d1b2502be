import { EntityManager } from 'typeorm';
import { AppConfig } from '../config/app-config';
import { EventRetentionService } from './event-retention.service';
import { EventTable, RetentionCursor, SipEventsRepository } from './sip-events.repository';

/** Tables of expired row ids, deleted in (id) order as the repository deletes in (created_at, id) order. */
class FakeEventsRepository {
  locked = false;
  readonly batches: Array<{ table: EventTable; from: string; size: number }> = [];
  constructor(readonly expired: Record<EventTable, number[]>) {}

  withRetentionLock<T>(work: (session: EntityManager) => Promise<T>): Promise<T | undefined> {
    return this.locked ? Promise.resolve(undefined) : work({} as EntityManager);
  }

  findRetentionCutoff(): Promise<string> {
    return Promise.resolve('2026-01-01 00:00:00+00');
  }

  deleteExpiredEvents(session: EntityManager, table: EventTable, cutoff: string, from: RetentionCursor, size: number) {
    this.batches.push({ table, from: from.id, size });
    const doomed = this.expired[table].filter((id) => id > Number(from.id)).slice(0, size);
    this.expired[table] = this.expired[table].filter((id) => !doomed.includes(id));
    const lastId = doomed.at(-1);
    return Promise.resolve({
      deleted: doomed.length,
      last: lastId === undefined ? undefined : { createdAt: '2025-01-01 00:00:00+00', id: String(lastId) },
    });
  }
}

function service(repository: FakeEventsRepository, retentionDays = 90): EventRetentionService {
  const config = { sipEventRetentionDays: retentionDays } as AppConfig;
  return new EventRetentionService(repository as unknown as SipEventsRepository, config);
}

const ids = (count: number) => Array.from({ length: count }, (_, i) => i + 1);

describe('EventRetentionService', () => {
  it('deletes batch after batch, each starting after the last row of the one before, until a short batch', async () => {
    const repository = new FakeEventsRepository({ failed_registrations: ids(5), door_knock_attempts: ids(2) });
    const result = await service(repository).purgeExpiredEvents({ batchSize: 2, pauseMs: 0 });
    expect(result).toEqual({ failedRegistrations: 5, doorKnocks: 2 });
    expect(repository.batches).toEqual([
      { table: 'failed_registrations', from: '0', size: 2 },
      { table: 'failed_registrations', from: '2', size: 2 },
      { table: 'failed_registrations', from: '4', size: 2 },
      { table: 'door_knock_attempts', from: '0', size: 2 },
      // A full batch may have been the last one: one more statement finds nothing and ends the pass.
      { table: 'door_knock_attempts', from: '2', size: 2 },
    ]);
  });

  it('does nothing while another instance holds the lock', async () => {
    const repository = new FakeEventsRepository({ failed_registrations: ids(3), door_knock_attempts: [] });
    repository.locked = true;
    expect(await service(repository).purgeExpiredEvents()).toBeUndefined();
    expect(repository.batches).toEqual([]);
  });

  it('keeps everything when the retention is 0', async () => {
    const repository = new FakeEventsRepository({ failed_registrations: ids(3), door_knock_attempts: [] });
    expect(await service(repository, 0).purgeExpiredEvents()).toBeUndefined();
    expect(repository.batches).toEqual([]);
  });

  it('stops between batches once the service shuts down', async () => {
    const repository = new FakeEventsRepository({ failed_registrations: ids(10), door_knock_attempts: ids(10) });
    const retention = service(repository);
    const pass = retention.purgeExpiredEvents({ batchSize: 2, pauseMs: 20 });
    await new Promise((resolve) => setTimeout(resolve, 5));
    await retention.onApplicationShutdown();
    expect(await pass).toEqual({ failedRegistrations: 2, doorKnocks: 0 });
  });
});
