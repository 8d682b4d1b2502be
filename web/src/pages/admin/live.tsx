import { QueryKey, useQueryClient } from '@tanstack/react-query';
import { createContext, ReactNode, useContext, useEffect, useState } from 'react';
import { LiveConnection, openLiveStream } from '../../api/live-stream';

/** The `status` event's summary of GET /api/admin/status. */
export interface StatusSummary {
  ok: boolean;
  problems: string[];
}

interface LiveState {
  connection: LiveConnection;
  /** When the server was last heard from (an event or a heartbeat). */
  updatedAt: Date | null;
  /**
   * The latest status summary the stream brought. It arrives even when the status route cannot answer (the
   * database is down, so no token can be checked), which is when it matters most.
   */
  status: StatusSummary | null;
}

const INITIAL_STATE: LiveState = { connection: 'connecting', updatedAt: null, status: null };
const LiveContext = createContext<LiveState>(INITIAL_STATE);

/** What each event makes stale (account_alert: the account alerts page and the count in the SIP sub-navigation). */
const STALE_ON: Record<string, QueryKey[]> = {
  ban_created: [['sip']],
  ban_lifted: [['sip']],
  signup_pending: [['users', 'pending']],
  sip_counts: [
    ['sip', 'stats'],
    ['sip', 'timeline'],
  ],
  status: [['status']],
  account_alert: [['sip', 'account-alerts']],
};
/** Everything the stream keeps current: read again after a reconnection, for the events missed meanwhile. */
const ALL_LIVE_KEYS: QueryKey[] = [['sip'], ['users', 'pending'], ['status']];
/** A burst (the bans of one engine tick) becomes one read per query. */
const COALESCE_MS = 100;

/**
 * One live stream per open console (while `enabled`): its events mark the queries they change stale (the visible ones are read
 * again at once), so a ban appears without a reload or a poll. Pages ask useLive() how fresh they are, and
 * useFallbackInterval() how often to poll for what the stream does not carry.
 */
export function LiveProvider({ enabled, children }: { enabled: boolean; children: ReactNode }) {
  const queryClient = useQueryClient();
  const [state, setState] = useState<LiveState>(INITIAL_STATE);
  useEffect(() => {
    // The admin routes refuse this admin (ADMIN_MFA_REQUIRED): the stream would only be refused.
    if (!enabled) return;
    const stale = new Map<string, QueryKey>();
    let flush: ReturnType<typeof setTimeout> | undefined;
    const markStale = (keys: QueryKey[]) => {
      for (const key of keys) stale.set(JSON.stringify(key), key);
      flush ??= setTimeout(() => {
        flush = undefined;
        const keys = [...stale.values()];
        stale.clear();
        for (const queryKey of keys) void queryClient.invalidateQueries({ queryKey });
      }, COALESCE_MS);
    };
    const stop = openLiveStream({
      onEvent: ({ event, data }) => {
        if (event === 'status') setState((previous) => ({ ...previous, status: data as StatusSummary }));
        markStale(STALE_ON[event] ?? []);
      },
      onActivity: () => setState((previous) => ({ ...previous, updatedAt: new Date() })),
      onConnection: (connection) => setState((previous) => ({ ...previous, connection })),
      onReconnected: () => markStale(ALL_LIVE_KEYS),
    });
    return () => {
      stop();
      clearTimeout(flush);
    };
  }, [queryClient, enabled]);
  return <LiveContext.Provider value={state}>{children}</LiveContext.Provider>;
}

export function useLive(): LiveState {
  return useContext(LiveContext);
}

/**
 * How often a page polls: slowly while the stream is live (for what no event announces, such as a ban
 * running out), as it used to while it is not.
 */
export function useFallbackInterval(whileLiveMs: number, otherwiseMs: number): number {
  return useLive().connection === 'live' ? whileLiveMs : otherwiseMs;
}

const timeOfDay = new Intl.DateTimeFormat(undefined, { timeStyle: 'medium' });

const CONNECTION_LABEL: Record<LiveConnection, string> = {
  connecting: 'Connecting…',
  live: 'Live',
  reconnecting: 'Reconnecting…',
};

/** The stream's state in the top bar: live or not, and when the server was last heard from. */
export function LiveIndicator() {
  const { connection, updatedAt } = useLive();
  return (
    <span className={`live-state ${connection}`} data-connection={connection}>
      <span aria-hidden="true" className="dot" /> {CONNECTION_LABEL[connection]}
      {updatedAt && <span className="muted"> · updated {timeOfDay.format(updatedAt)}</span>}
    </span>
  );
}
