import { FeedEntryCollector } from '../feed-entries';

/**
 * Applies one answer of a CrowdSec decision stream (`{"new":[…],"deleted":[…]}`, either may be null as the
 * Local API sends it) to a feed's entries: deleted decisions first, then new ones, so a value that was
 * lifted and banned again in the same window stays. Only `ban` decisions of scope `Ip` or `Range` are
 * entries; any other decision (captcha, a country, an AS) is counted invalid.
 */
export function applyCrowdsecStream(body: unknown, entries: FeedEntryCollector): void {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) {
    throw new Error('decision stream answer is not a JSON object');
  }
  const stream = body as Record<string, unknown>;
  for (const decision of decisionsOf(stream.deleted, 'deleted')) {
    const value = banValue(decision);
    if (value === undefined) entries.countInvalid();
    else entries.remove(value);
  }
  for (const decision of decisionsOf(stream.new, 'new')) {
    const value = banValue(decision);
    if (value === undefined) entries.countInvalid();
    else entries.add(value);
  }
}

function decisionsOf(list: unknown, field: string): unknown[] {
  if (list === null || list === undefined) return [];
  if (!Array.isArray(list)) throw new Error(`decision stream "${field}" is not an array`);
  return list;
}

/** The decision's address or range when it is a ban, else undefined. */
function banValue(decision: unknown): string | undefined {
  if (typeof decision !== 'object' || decision === null) return undefined;
  const { type, scope, value } = decision as Record<string, unknown>;
  if (typeof type !== 'string' || type.toLowerCase() !== 'ban') return undefined;
  if (typeof scope !== 'string' || !['ip', 'range'].includes(scope.toLowerCase())) return undefined;
  return typeof value === 'string' ? value : undefined;
}
