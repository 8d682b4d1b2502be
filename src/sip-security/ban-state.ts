import { SipBan } from '../database/entities/sip-ban.entity';
import { BanState } from './sip-bans.repository';

/** A ban's state at `now`, as sip_active_bans() defines an active one: a lift decides over an expiry. */
export function banStateAt(ban: Pick<SipBan, 'liftedAt' | 'expiresAt'>, now: Date): BanState {
  if (ban.liftedAt !== null && ban.liftedAt !== undefined) return 'lifted';
  if (ban.expiresAt !== null && new Date(ban.expiresAt).getTime() <= now.getTime()) return 'expired';
  return 'active';
}
