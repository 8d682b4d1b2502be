import { Schemas } from '../../../api/client';
import { formatTime } from '../../../format';

/** Who made a ban. */
export const SOURCE_LABEL: Record<string, string> = { auto: 'Automatic', manual: 'Manual', feed: 'Feed' };

/** Who made a ban, a feed's ban naming its feed: "Automatic", "Manual", "Feed blocklist-de". */
export function sourceWords(ban: Schemas['BanDto']): string {
  return ban.feed ? `Feed ${ban.feed}` : (SOURCE_LABEL[ban.source] ?? ban.source);
}

/** A ban's state now. */
export const STATE_LABEL: Record<Schemas['BanDto']['state'], string> = {
  active: 'Active',
  lifted: 'Lifted',
  expired: 'Expired',
};

/** The console page of a ban (inside /admin). */
export function banPath(id: number): string {
  return `/sip/bans/${id}`;
}

/** The console page of a source address (inside /admin): an address is digits, dots and colons, all fine in a path. */
export function sourcePath(ip: string): string {
  return `/sip/sources/${ip}`;
}

/** When a ban ended or ends: lifted at, expired at, until, or until lifted. */
export function banEnd(ban: Schemas['BanDto']): string {
  if (ban.state === 'lifted') return `Lifted ${formatTime(ban.lifted_at)}`;
  if (ban.state === 'expired') return `Expired ${formatTime(ban.expires_at)}`;
  return ban.expires_at ? `Until ${formatTime(ban.expires_at)}` : 'Until lifted';
}
