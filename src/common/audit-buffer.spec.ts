import { AUDIT_BUFFER_CAPACITY, AuditBuffer, toRecord } from './audit-buffer';

const ACTOR = '0b5e2c4e-8a55-4c1d-9f7e-0a1b2c3d4e5f';
const TARGET = '1c6f3d5f-9b66-4d2e-8a8f-1b2c3d4e5f60';
const time = new Date('2026-01-01T00:00:00Z');

describe('toRecord', () => {
  it('takes ip, actor and target into their columns and keeps the rest as details', () => {
    expect(
      toRecord(time, 'admin_action', { ip: '192.0.2.1', actor_id: ACTOR, target_id: TARGET, action: 'promote' }),
    ).toEqual({
      time,
      event: 'admin_action',
      ip: '192.0.2.1',
      actorId: ACTOR,
      targetId: TARGET,
      details: { action: 'promote' },
    });
  });

  it("takes an event's user_id as its target", () => {
    expect(toRecord(time, 'login_succeeded', { ip: '::1', user_id: TARGET, email: 'a@example.com' })).toMatchObject({
      targetId: TARGET,
      details: { user_id: TARGET, email: 'a@example.com' },
    });
  });

  it('keeps values of the wrong form in details instead of failing the insert', () => {
    expect(toRecord(time, 'admin_action', { ip: 'unknown', actor_id: 'cli', target_id: 7 })).toEqual({
      time,
      event: 'admin_action',
      ip: null,
      actorId: null,
      targetId: null,
      details: { ip: 'unknown', actor_id: 'cli', target_id: 7 },
    });
  });
});

describe('AuditBuffer', () => {
  it('hands events out oldest first and takes a failed batch back in front', () => {
    const buffer = new AuditBuffer();
    buffer.add(time, 'a', {});
    buffer.add(time, 'b', {});
    buffer.add(time, 'c', {});
    const batch = buffer.take(2);
    expect(batch.map((record) => record.event)).toEqual(['a', 'b']);
    buffer.add(time, 'd', {});
    buffer.giveBack(batch);
    expect(buffer.take(10).map((record) => record.event)).toEqual(['a', 'b', 'c', 'd']);
  });

  it('drops the oldest beyond its capacity and counts them', () => {
    const buffer = new AuditBuffer();
    for (let index = 0; index < AUDIT_BUFFER_CAPACITY + 3; index += 1) buffer.add(time, String(index), {});
    expect(buffer.size).toBe(AUDIT_BUFFER_CAPACITY);
    expect(buffer.take(1)[0].event).toBe('3');
    expect(buffer.takeDroppedCount()).toBe(3);
    expect(buffer.takeDroppedCount()).toBe(0);
  });
});
