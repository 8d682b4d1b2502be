/** Counts the bans in force, for the `regshield_sip_active_bans` gauge (read at each scrape). */
export interface ActiveBansSource {
  countActiveBans(): Promise<number>;
}

export const ACTIVE_BANS_SOURCE = Symbol('ACTIVE_BANS_SOURCE');
