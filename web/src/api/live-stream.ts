/**
 * The console's live stream (`GET /api/admin/live`, Server-Sent Events) read with fetch rather than
 * EventSource: EventSource cannot send the access token in the Authorization header, and a token in the URL
 * would end up in logs and histories. It reconnects by itself: at once after `event: reauth` (with a fresh
 * token), and with capped exponential backoff after anything else (a network error, a restart, a balancer
 * moving it, an instance draining).
 */
import { authorizedFetch, refreshSession } from './session';

export type LiveConnection = 'connecting' | 'live' | 'reconnecting';

export interface LiveMessage {
  event: string;
  data: unknown;
}

export interface LiveStreamHandlers {
  onEvent(message: LiveMessage): void;
  /** Anything arrived, a heartbeat included: the page can say when it last heard from the server. */
  onActivity(): void;
  onConnection(state: LiveConnection): void;
  /** Each connection after the first: events may have been missed meanwhile, so what they keep current is read again. */
  onReconnected(): void;
}

/** The server sends a comment every 15 s; twice that and more with no byte means the connection is dead. */
const SILENCE_MS = 40_000;
const BACKOFF_INITIAL_MS = 1000;
const BACKOFF_MAX_MS = 30_000;

/** Between half and all of the step, so that consoles cut by one restart do not all come back in the same instant. */
function backoffMs(failures: number): number {
  const step = Math.min(BACKOFF_MAX_MS, BACKOFF_INITIAL_MS * 2 ** Math.min(failures, 10));
  return step / 2 + Math.random() * (step / 2);
}

/** Opens the stream and keeps it open until the returned function is called. */
export function openLiveStream(handlers: LiveStreamHandlers): () => void {
  let stopped = false;
  let current: AbortController | undefined;
  let wakeUp: (() => void) | undefined;
  const pause = (ms: number) =>
    new Promise<void>((resolve) => {
      const timer = setTimeout(resolve, ms);
      wakeUp = () => {
        clearTimeout(timer);
        resolve();
      };
    });

  void (async () => {
    let failures = 0;
    let connectedBefore = false;
    while (!stopped) {
      handlers.onConnection(connectedBefore ? 'reconnecting' : 'connecting');
      const abort = new AbortController();
      current = abort;
      let silence: ReturnType<typeof setTimeout> | undefined;
      const heard = () => {
        clearTimeout(silence);
        silence = setTimeout(() => abort.abort(), SILENCE_MS);
      };
      let ending: 'reauth' | 'lost' | 'refused' = 'lost';
      try {
        heard();
        const response = await authorizedFetch(
          new Request(`${window.location.origin}/api/admin/live`, {
            headers: { Accept: 'text/event-stream' },
            signal: abort.signal,
          }),
        );
        // 401: the session is over (authorizedFetch has said so); 403: no longer a superuser. Nothing to retry.
        if (response.status === 401 || response.status === 403) ending = 'refused';
        else if (response.ok && response.body) {
          if (connectedBefore) handlers.onReconnected();
          connectedBefore = true;
          failures = 0;
          handlers.onConnection('live');
          handlers.onActivity();
          ending = await readEvents(response.body, (message) => {
            heard();
            handlers.onActivity();
            if (message !== undefined) handlers.onEvent(message);
          });
        }
      } catch {
        // A network error, or the silence timer's abort: reconnect below.
      } finally {
        clearTimeout(silence);
      }
      if (stopped || ending === 'refused') return;
      if (ending === 'reauth') {
        await refreshSession();
        continue;
      }
      handlers.onConnection('reconnecting');
      await pause(backoffMs(failures));
      failures += 1;
    }
  })();

  return () => {
    stopped = true;
    current?.abort();
    wakeUp?.();
  };
}

/**
 * Reads events until the stream ends; `onBlock` is called for every block, with its event (undefined for a
 * comment). Resolves 'reauth' when the server asked for a new token, 'lost' when it ended otherwise.
 */
async function readEvents(
  body: ReadableStream<Uint8Array>,
  onBlock: (message: LiveMessage | undefined) => void,
): Promise<'reauth' | 'lost'> {
  const reader = body.getReader();
  const decoder = new TextDecoder();
  let buffer = '';
  for (;;) {
    const { done, value } = await reader.read();
    if (done) return 'lost';
    buffer += decoder.decode(value, { stream: true }).replace(/\r\n?/g, '\n');
    let end: number;
    while ((end = buffer.indexOf('\n\n')) !== -1) {
      const message = parseBlock(buffer.slice(0, end));
      buffer = buffer.slice(end + 2);
      if (message?.event === 'reauth') {
        await reader.cancel().catch(() => undefined);
        return 'reauth';
      }
      onBlock(message);
    }
  }
}

function parseBlock(block: string): LiveMessage | undefined {
  let event = 'message';
  const data: string[] = [];
  for (const line of block.split('\n')) {
    if (line.startsWith(':')) continue;
    const colon = line.indexOf(':');
    const field = colon === -1 ? line : line.slice(0, colon);
    const value = colon === -1 ? '' : line.slice(colon + 1).replace(/^ /, '');
    if (field === 'event') event = value;
    else if (field === 'data') data.push(value);
  }
  if (data.length === 0) return undefined;
  try {
    return { event, data: JSON.parse(data.join('\n')) as unknown };
  } catch {
    return undefined;
  }
}
