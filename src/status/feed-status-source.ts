/** One ban feed (in or out) as the status page shows it. */
export interface FeedStatus {
  name: string;
  /** `in`: bans taken from it; `out`: bans published to it. */
  direction: 'in' | 'out';
  lastSuccessAt: Date | null;
  lastError: string | null;
  /** Whether it is working; a feed that is not counts as a problem. */
  healthy: boolean;
}

/** Where the status page reads the feeds from: SipFeedStatusSource (StatusModule) for the feeds pulled in. */
export interface FeedStatusSource {
  feedStatuses(): Promise<FeedStatus[]>;
}

export const FEED_STATUS_SOURCE = Symbol('FEED_STATUS_SOURCE');
