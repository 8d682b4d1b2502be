import { NumberedLiveEvent } from './live-event';
import { LiveCloseReason, LiveHub, LiveSubscriber } from './live-hub';

/** A stream that records what it was sent, and stops keeping up after `keepsUpFor` events. */
function fakeStream(keepsUpFor = Infinity): LiveSubscriber & { got: NumberedLiveEvent[]; closed?: LiveCloseReason } {
  const stream = {
    got: [] as NumberedLiveEvent[],
    closed: undefined as LiveCloseReason | undefined,
    deliver(event: NumberedLiveEvent) {
      stream.got.push(event);
      return stream.got.length <= keepsUpFor;
    },
    close(reason: LiveCloseReason) {
      stream.closed = reason;
    },
  };
  return stream;
}

describe('LiveHub: the fan-out of one instance', () => {
  it('sends every event to every open stream, in the order published, numbered once for all', () => {
    const hub = new LiveHub();
    const first = fakeStream();
    const second = fakeStream();
    hub.subscribe(first);
    hub.subscribe(second);
    hub.publish({ name: 'ban_created', data: { id: 1 } });
    hub.publish({ name: 'ban_lifted', data: { id: 1 } });
    expect(first.got).toEqual([
      { id: 1, name: 'ban_created', data: { id: 1 } },
      { id: 2, name: 'ban_lifted', data: { id: 1 } },
    ]);
    expect(second.got).toEqual(first.got);
  });

  it('never replays a change to a stream opened after it: the page reads the current state itself', () => {
    const hub = new LiveHub();
    hub.publish({ name: 'ban_created', data: { id: 1 } });
    const late = fakeStream();
    hub.subscribe(late);
    expect(late.got).toEqual([]);
  });

  it('keeps the latest state event of each name for a new stream, and does not send an unchanged one again', () => {
    const hub = new LiveHub();
    const early = fakeStream();
    hub.subscribe(early);
    hub.publish({ name: 'sip_counts', data: { failed_registrations: 1 } });
    hub.publish({ name: 'status', data: { ok: true, problems: [] } });
    hub.publish({ name: 'sip_counts', data: { failed_registrations: 1 } });
    hub.publish({ name: 'sip_counts', data: { failed_registrations: 4 } });
    expect(early.got.map(({ name, data }) => [name, data])).toEqual([
      ['sip_counts', { failed_registrations: 1 }],
      ['status', { ok: true, problems: [] }],
      ['sip_counts', { failed_registrations: 4 }],
    ]);
    const late = fakeStream();
    hub.subscribe(late);
    expect(late.got.map(({ name, data }) => [name, data])).toEqual([
      ['sip_counts', { failed_registrations: 4 }],
      ['status', { ok: true, problems: [] }],
    ]);
  });

  it('ends a stream that cannot keep up, and goes on serving the others', () => {
    const hub = new LiveHub();
    const slow = fakeStream(1);
    const fine = fakeStream();
    hub.subscribe(slow);
    hub.subscribe(fine);
    for (let id = 1; id <= 3; id++) hub.publish({ name: 'ban_created', data: { id } });
    expect(slow.closed).toBe('slow');
    expect(slow.got).toHaveLength(2);
    expect(fine.got).toHaveLength(3);
    expect(hub.size).toBe(1);
  });

  it('stops sending to a stream once it unsubscribes, and counts the open ones', () => {
    const hub = new LiveHub();
    const stream = fakeStream();
    const unsubscribe = hub.subscribe(stream);
    expect(hub.size).toBe(1);
    unsubscribe();
    hub.publish({ name: 'ban_created', data: {} });
    expect(stream.got).toEqual([]);
    expect(hub.size).toBe(0);
  });

  it('ends every stream with the reason given (a lost LISTEN connection: resync)', () => {
    const hub = new LiveHub();
    const streams = [fakeStream(), fakeStream()];
    for (const stream of streams) hub.subscribe(stream);
    hub.closeAll('resync');
    expect(streams.map((stream) => stream.closed)).toEqual(['resync', 'resync']);
    expect(hub.size).toBe(0);
  });
});
