import { request } from 'node:https';

/** One event of a `text/event-stream`, as a browser's EventSource would hand it over. */
export interface SseEvent {
  event: string;
  id?: string;
  data: unknown;
}

/** A response being read: its status, its Content-Type, its body as it arrives, and how to cut it. */
interface StreamedResponse {
  status: number;
  contentType: string | null;
  body: AsyncIterable<Uint8Array> | null;
  abort(): void;
}

/**
 * A Server-Sent Events client for specs, over fetch (Node's) or HTTPS through a balancer: it collects the
 * events and comments of one stream and lets the spec wait for the one it expects.
 */
export class SseClient {
  readonly events: SseEvent[] = [];
  readonly comments: string[] = [];
  /** Settles when the server ends the stream (or the client aborts it). */
  readonly ended: Promise<void>;
  private waiters: Array<() => void> = [];

  private constructor(private readonly response: StreamedResponse) {
    this.ended = this.read().finally(() => this.wake());
  }

  get status(): number {
    return this.response.status;
  }

  get contentType(): string | null {
    return this.response.contentType;
  }

  /** Opens the stream; resolves once the response's headers have arrived (a refusal is returned as is). */
  static async open(url: string, headers: Record<string, string>): Promise<SseClient> {
    const abort = new AbortController();
    const response = await fetch(url, { headers: { Accept: 'text/event-stream', ...headers }, signal: abort.signal });
    return new SseClient({
      status: response.status,
      contentType: response.headers.get('content-type'),
      body: response.body as AsyncIterable<Uint8Array> | null,
      abort: () => abort.abort(),
    });
  }

  /** Opens the stream over HTTPS to 127.0.0.1:port, trusting `ca`, from the loopback address given. */
  static openHttps(
    port: number,
    path: string,
    options: { headers: Record<string, string>; ca: string; localAddress: string },
  ): Promise<SseClient> {
    return new Promise((done, fail) => {
      const outgoing = request(
        {
          host: '127.0.0.1',
          port,
          path,
          ca: options.ca,
          localAddress: options.localAddress,
          agent: false,
          headers: { Accept: 'text/event-stream', ...options.headers },
        },
        (incoming) =>
          done(
            new SseClient({
              status: incoming.statusCode ?? 0,
              contentType: incoming.headers['content-type'] ?? null,
              body: incoming,
              abort: () => outgoing.destroy(),
            }),
          ),
      );
      outgoing.once('error', fail);
      outgoing.end();
    });
  }

  close(): void {
    this.response.abort();
  }

  /** The first event (from the start of the stream) that matches; throws after the timeout. */
  async next(match: (event: SseEvent) => boolean, timeoutMs = 10_000): Promise<SseEvent> {
    const deadline = Date.now() + timeoutMs;
    let ended = false;
    void this.ended.then(() => (ended = true));
    for (;;) {
      const found = this.events.find(match);
      if (found) return found;
      if (ended) throw new Error(`the stream ended without the event; got ${JSON.stringify(this.events)}`);
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`no such event in time; got ${JSON.stringify(this.events)}`);
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, left);
        this.waiters.push(() => {
          clearTimeout(timer);
          resolve();
        });
      });
    }
  }

  private wake(): void {
    const waiters = this.waiters;
    this.waiters = [];
    for (const wake of waiters) wake();
  }

  private async read(): Promise<void> {
    if (this.response.status !== 200 || !this.response.body) return;
    const decoder = new TextDecoder();
    let buffer = '';
    try {
      for await (const chunk of this.response.body) {
        buffer += decoder.decode(chunk, { stream: true });
        let end: number;
        while ((end = buffer.indexOf('\n\n')) !== -1) {
          this.parse(buffer.slice(0, end));
          buffer = buffer.slice(end + 2);
        }
        this.wake();
      }
    } catch {
      // Aborted by close(), or cut: either way the stream has ended.
    }
  }

  private parse(block: string): void {
    const fields: Record<string, string> = {};
    for (const line of block.split('\n')) {
      if (line.startsWith(':')) {
        this.comments.push(line.slice(1).trim());
        continue;
      }
      const colon = line.indexOf(':');
      if (colon === -1) continue;
      fields[line.slice(0, colon)] = line.slice(colon + 1).replace(/^ /, '');
    }
    if (fields.data === undefined) return;
    this.events.push({ event: fields.event ?? 'message', id: fields.id, data: JSON.parse(fields.data) });
  }
}
