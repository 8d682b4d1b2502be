/**
 * The deepest nesting a feed's JSON may have: APIBan's pages and CrowdSec's decisions need 3. A hostile
 * `[[[[…` of 16 MiB would otherwise hold the event loop for seconds in JSON.parse.
 */
const MAX_JSON_DEPTH = 8;

export class FeedJsonError extends Error {}

/** JSON.parse after a linear scan that refuses nesting deeper than MAX_JSON_DEPTH. */
export function parseFeedJson(text: string): unknown {
  let depth = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const char = text.charCodeAt(i);
    if (inString) {
      if (char === 0x5c)
        i++; // a backslash escapes the next character
      else if (char === 0x22) inString = false;
    } else if (char === 0x22) {
      inString = true;
    } else if (char === 0x5b || char === 0x7b) {
      if (++depth > MAX_JSON_DEPTH) throw new FeedJsonError(`answer nests deeper than ${MAX_JSON_DEPTH} levels`);
    } else if (char === 0x5d || char === 0x7d) {
      depth--;
    }
  }
  try {
    return JSON.parse(text);
  } catch {
    throw new FeedJsonError('answer is not JSON');
  }
}
