import { CachedState } from './cached-state';

interface Row {
  id: string;
  version: number;
}

/** A load that answers when the test says so. */
function deferredLoads() {
  const pending: Array<{ id: string; resolve: (row: Row | null) => void }> = [];
  const load = jest.fn(
    (id: string) => new Promise<Row | null>((resolve) => pending.push({ id, resolve: (row) => resolve(row) })),
  );
  return { load, pending };
}

describe('CachedState', () => {
  let current: boolean;
  let now: number;
  const cache = (maxEntries = 100, ttlMs = 60_000) =>
    new CachedState<Row>({ maxEntries, ttlMs, isCurrent: () => current, now: () => now });

  beforeEach(() => {
    current = true;
    now = 1_000;
  });

  it('loads once, then answers from memory', async () => {
    const state = cache();
    const load = jest.fn((id: string) => Promise.resolve({ id, version: 1 }));
    await expect(state.get('a', load)).resolves.toEqual({ id: 'a', version: 1 });
    await expect(state.get('a', load)).resolves.toEqual({ id: 'a', version: 1 });
    expect(load).toHaveBeenCalledTimes(1);
  });

  it('shares one load between concurrent gets of one id', async () => {
    const state = cache();
    const { load, pending } = deferredLoads();
    const first = state.get('a', load);
    const second = state.get('a', load);
    pending[0].resolve({ id: 'a', version: 1 });
    await expect(Promise.all([first, second])).resolves.toEqual([
      { id: 'a', version: 1 },
      { id: 'a', version: 1 },
    ]);
    expect(load).toHaveBeenCalledTimes(1);
  });

  it('does not store a load that an invalidation overtook, and starts a new one for later gets', async () => {
    const state = cache();
    const { load, pending } = deferredLoads();
    const before = state.get('a', load);
    state.invalidate('a');
    const after = state.get('a', load);
    expect(load).toHaveBeenCalledTimes(2);
    pending[1].resolve({ id: 'a', version: 2 });
    // The older read answers last; it must not replace the newer state.
    pending[0].resolve({ id: 'a', version: 1 });
    await expect(before).resolves.toEqual({ id: 'a', version: 1 });
    await expect(after).resolves.toEqual({ id: 'a', version: 2 });
    await expect(state.get('a', load)).resolves.toEqual({ id: 'a', version: 2 });
    expect(load).toHaveBeenCalledTimes(2);
  });

  it('does not store a load that a flush overtook', async () => {
    const state = cache();
    const { load, pending } = deferredLoads();
    const before = state.get('a', load);
    state.flush();
    pending[0].resolve({ id: 'a', version: 1 });
    await before;
    expect(state.size).toBe(0);
  });

  it('an invalidation drops the entry, a flush drops them all', async () => {
    const state = cache();
    let version = 1;
    const load = jest.fn((id: string) => Promise.resolve({ id, version }));
    await state.get('a', load);
    await state.get('b', load);
    version = 2;
    state.invalidate('a');
    await expect(state.get('a', load)).resolves.toEqual({ id: 'a', version: 2 });
    await expect(state.get('b', load)).resolves.toEqual({ id: 'b', version: 1 });
    version = 3;
    state.flush();
    await expect(state.get('b', load)).resolves.toEqual({ id: 'b', version: 3 });
  });

  it('reads the database every time while not current, and keeps nothing from then', async () => {
    const state = cache();
    const load = jest.fn((id: string) => Promise.resolve({ id, version: 1 }));
    await state.get('a', load);
    current = false;
    await state.get('a', load);
    await state.get('a', load);
    expect(load).toHaveBeenCalledTimes(3);
    await state.get('b', load);
    current = true;
    expect(state.size).toBe(1);
  });

  it('does not store a load that ends after the state stopped being current', async () => {
    const state = cache();
    const { load, pending } = deferredLoads();
    const answer = state.get('a', load);
    current = false;
    pending[0].resolve({ id: 'a', version: 1 });
    await answer;
    expect(state.size).toBe(0);
  });

  it('keeps at most maxEntries, dropping the least recently used', async () => {
    const state = cache(2);
    const load = jest.fn((id: string) => Promise.resolve({ id, version: 1 }));
    await state.get('a', load);
    await state.get('b', load);
    await state.get('a', load); // a is now more recent than b
    await state.get('c', load);
    expect(state.size).toBe(2);
    load.mockClear();
    await state.get('a', load);
    await state.get('c', load);
    expect(load).not.toHaveBeenCalled();
    await state.get('b', load);
    expect(load).toHaveBeenCalledTimes(1);
  });

  it('peeks at what get would answer from memory, and never loads', async () => {
    const state = cache(100, 5_000);
    const load = jest.fn((id: string) => Promise.resolve({ id, version: 1 }));
    expect(state.peek('a')).toBeUndefined();
    await state.get('a', load);
    expect(state.peek('a')).toEqual({ id: 'a', version: 1 });
    current = false;
    expect(state.peek('a')).toBeUndefined();
    current = true;
    now += 5_000;
    expect(state.peek('a')).toBeUndefined();
    await state.get('a', load);
    state.invalidate('a');
    expect(state.peek('a')).toBeUndefined();
    expect(load).toHaveBeenCalledTimes(2);
  });

  it('reloads an entry older than the TTL', async () => {
    const state = cache(100, 5_000);
    const load = jest.fn((id: string) => Promise.resolve({ id, version: 1 }));
    await state.get('a', load);
    now += 4_999;
    await state.get('a', load);
    expect(load).toHaveBeenCalledTimes(1);
    now += 1;
    await state.get('a', load);
    expect(load).toHaveBeenCalledTimes(2);
  });

  it('keeps nothing with maxEntries 0, and no absent row', async () => {
    const off = cache(0);
    const load = jest.fn((id: string) => Promise.resolve(id === 'missing' ? null : { id, version: 1 }));
    await off.get('a', load);
    await off.get('a', load);
    expect(load).toHaveBeenCalledTimes(2);
    const state = cache();
    await expect(state.get('missing', load)).resolves.toBeNull();
    expect(state.size).toBe(0);
  });

  it('serves frozen rows, so that no request can change what the next one sees', async () => {
    const state = cache();
    const row = await state.get('a', (id) => Promise.resolve({ id, version: 1 }));
    expect(Object.isFrozen(row)).toBe(true);
  });

  it('passes a failed load on and keeps nothing', async () => {
    const state = cache();
    const failing = jest.fn(() => Promise.reject(new Error('database down')));
    await expect(state.get('a', failing)).rejects.toThrow('database down');
    await expect(state.get('a', failing)).rejects.toThrow('database down');
    expect(failing).toHaveBeenCalledTimes(2);
  });
});
