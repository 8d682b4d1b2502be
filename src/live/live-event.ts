/** The events of the console's live stream (`GET /api/admin/live`), in the order of the API's description. */
export const LIVE_EVENT_NAMES = [
  'ban_created',
  'ban_lifted',
  'account_alert',
  'signup_pending',
  'sip_counts',
  'status',
] as const;

export type LiveEventName = (typeof LIVE_EVENT_NAMES)[number];

/**
 * Events that describe a state rather than a change: a stream opened later is sent the latest one at once, and
 * one equal to the latest is not sent again. Each instance computes them itself (LiveTicker).
 */
export const STATE_EVENTS: ReadonlySet<LiveEventName> = new Set<LiveEventName>(['sip_counts', 'status']);

export interface LiveEvent {
  name: LiveEventName;
  data: unknown;
}

/** A LiveEvent numbered by the instance that sends it (the SSE `id`), in the order it sends them. */
export interface NumberedLiveEvent extends LiveEvent {
  id: number;
}

/** The PostgreSQL channel every instance LISTENs on (migration LiveConsoleNotifications, LiveEvents.publish). */
export const LIVE_CHANNEL = 'regshield_live';

export function isLiveEventName(value: unknown): value is LiveEventName {
  return typeof value === 'string' && (LIVE_EVENT_NAMES as readonly string[]).includes(value);
}
