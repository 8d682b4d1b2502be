/** One page of APIBan's `banned` list: `{"ipaddress":[…],"ID":"<next>"}`. */
export interface ApibanPage {
  addresses: unknown[];
  /** The ID to ask for the next page with; undefined at the end of the list (`"ID":"none"`, or none given). */
  nextId: string | undefined;
}

/** APIBan's IDs are numbers, sent as text; anything else never goes into a URL. */
const APIBAN_ID = /^[0-9]{1,20}$/;

/**
 * Reads one page defensively: anything but an object is refused; an `ipaddress` that is not an array (APIBan
 * answers `"ipaddress":"no new bans"` with `"ID":"none"`) is an empty page; the ID is taken only when it is
 * a plain number, so a hostile feed cannot steer the next request's path.
 */
export function parseApibanPage(body: unknown): ApibanPage {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) {
    throw new Error('APIBan answer is not a JSON object');
  }
  const { ipaddress, ID } = body as Record<string, unknown>;
  const addresses = Array.isArray(ipaddress) ? ipaddress.filter((value) => value !== 'no new bans') : [];
  const id = typeof ID === 'number' ? String(ID) : ID;
  return { addresses, nextId: typeof id === 'string' && APIBAN_ID.test(id) ? id : undefined };
}
