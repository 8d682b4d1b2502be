import { LiveEvent, LiveEventName, NumberedLiveEvent, STATE_EVENTS } from './live-event';

/** One open stream, as the hub sees it. */
export interface LiveSubscriber {
  /** Sends the event; false when the client cannot keep up (its unsent bytes passed the stream's limit). */
  deliver(event: NumberedLiveEvent): boolean;
  /** Ends the stream; the page reconnects and reads again whatever it shows. */
  close(reason: LiveCloseReason): void;
}

/**
 * Why the hub ended a stream: `slow`, its client did not read (a stalled tab, a dead network path), and
 * buffering for it without bound would let one client grow the process's memory; `resync`, events may have
 * been missed (the LISTEN connection was lost), so the page must read everything again; `shutdown`, the
 * instance is stopping.
 */
export type LiveCloseReason = 'slow' | 'resync' | 'shutdown';

/**
 * The fan-out of one instance: every event published reaches every open stream, in the order published, each
 * numbered once for all streams. The latest state event (sip_counts, status) of each name is kept: a new
 * stream gets it at once, and an unchanged one is not sent again. A stream that cannot keep up is ended.
 */
export class LiveHub {
  private readonly subscribers = new Set<LiveSubscriber>();
  private readonly latestStates = new Map<LiveEventName, { event: NumberedLiveEvent; json: string }>();
  private nextId = 1;

  /** How many streams are open: state events are only worth computing when some are. */
  get size(): number {
    return this.subscribers.size;
  }

  /** Adds the stream and sends it the latest state events; returns the function that removes it. */
  subscribe(subscriber: LiveSubscriber): () => void {
    this.subscribers.add(subscriber);
    for (const { event } of this.latestStates.values()) {
      if (!subscriber.deliver(event)) {
        this.drop(subscriber, 'slow');
        break;
      }
    }
    return () => this.subscribers.delete(subscriber);
  }

  publish(event: LiveEvent): void {
    if (STATE_EVENTS.has(event.name)) {
      const json = JSON.stringify(event.data);
      if (this.latestStates.get(event.name)?.json === json) return;
      const numbered = this.number(event);
      this.latestStates.set(event.name, { event: numbered, json });
      this.deliverToAll(numbered);
    } else {
      this.deliverToAll(this.number(event));
    }
  }

  /** Ends every open stream. */
  closeAll(reason: LiveCloseReason): void {
    for (const subscriber of [...this.subscribers]) this.drop(subscriber, reason);
  }

  private number(event: LiveEvent): NumberedLiveEvent {
    return { id: this.nextId++, name: event.name, data: event.data };
  }

  private deliverToAll(event: NumberedLiveEvent): void {
    for (const subscriber of [...this.subscribers]) {
      if (!subscriber.deliver(event)) this.drop(subscriber, 'slow');
    }
  }

  private drop(subscriber: LiveSubscriber, reason: LiveCloseReason): void {
    this.subscribers.delete(subscriber);
    subscriber.close(reason);
  }
}
