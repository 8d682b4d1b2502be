export interface CachedStateOptions {
  /** Entries kept at most; the least recently used goes first. 0 keeps nothing (every get loads). */
  maxEntries: number;
  /** A safety net only: invalidation, not age, is what keeps entries current. */
  ttlMs: number;
  /**
   * Whether every change committed elsewhere up to a moment ago has been applied (AuthChangeFeed). While
   * false, gets load from the database and nothing is stored or served from memory.
   */
  isCurrent(): boolean;
  now?: () => number;
}

interface Entry<T> {
  value: T;
  expiresAt: number;
}

/** A load under way; `stale` once an invalidation came after it started, so that its answer is not stored. */
interface Flight<T> {
  promise: Promise<T>;
  stale: boolean;
}

/**
 * Rows of auth state (a user, a session) by id, in memory, for as long as nothing says they changed.
 * Concurrent gets of one id share one load; a load that an invalidation or a flush overtakes still answers
 * the gets that were waiting for it (they began before the change) but is not stored, so an older read never
 * replaces a newer state. Absent rows (null) are not stored: a token naming one is refused by a query.
 */
export class CachedState<T extends object> {
  private readonly entries = new Map<string, Entry<T>>();
  private readonly flights = new Map<string, Flight<T | null>>();
  private readonly now: () => number;

  constructor(private readonly options: CachedStateOptions) {
    this.now = options.now ?? (() => Date.now());
  }

  get(id: string, load: (id: string) => Promise<T | null>): Promise<T | null> {
    if (this.options.maxEntries === 0 || !this.options.isCurrent()) return load(id);
    const value = this.peek(id);
    if (value !== undefined) return Promise.resolve(value);
    return (this.flights.get(id) ?? this.startLoad(id, load)).promise;
  }

  /**
   * The row if memory may answer for it, else undefined (get would load it): no promise, so that a request
   * whose state is all in memory is checked synchronously.
   */
  peek(id: string): T | undefined {
    if (this.options.maxEntries === 0 || !this.options.isCurrent()) return undefined;
    const entry = this.entries.get(id);
    if (entry === undefined || entry.expiresAt <= this.now()) return undefined;
    // Re-inserted to mark it the most recently used: a Map iterates in insertion order.
    this.entries.delete(id);
    this.entries.set(id, entry);
    return entry.value;
  }

  /** The row changed: its entry goes, and a load of it under way will not be stored. */
  invalidate(id: string): void {
    this.entries.delete(id);
    const flight = this.flights.get(id);
    if (flight) {
      flight.stale = true;
      this.flights.delete(id);
    }
  }

  /** Any row may have changed. */
  flush(): void {
    this.entries.clear();
    for (const flight of this.flights.values()) flight.stale = true;
    this.flights.clear();
  }

  get size(): number {
    return this.entries.size;
  }

  private startLoad(id: string, load: (id: string) => Promise<T | null>): Flight<T | null> {
    const flight: Flight<T | null> = { promise: Promise.resolve(null), stale: false };
    flight.promise = load(id).then(
      (value) => {
        if (this.flights.get(id) === flight) this.flights.delete(id);
        if (value !== null && !flight.stale && this.options.isCurrent()) this.store(id, value);
        return value;
      },
      (error: unknown) => {
        if (this.flights.get(id) === flight) this.flights.delete(id);
        throw error;
      },
    );
    this.flights.set(id, flight);
    return flight;
  }

  private store(id: string, value: T): void {
    this.entries.delete(id);
    this.entries.set(id, { value: Object.freeze(value), expiresAt: this.now() + this.options.ttlMs });
    if (this.entries.size > this.options.maxEntries) {
      const leastRecentlyUsed = this.entries.keys().next().value as string;
      this.entries.delete(leastRecentlyUsed);
    }
  }
}
