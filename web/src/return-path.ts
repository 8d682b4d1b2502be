/** How many layers of percent-encoding are looked through: more than any link of the app's own carries. */
const MAX_DECODINGS = 3;
/** From the root, not `//` or `/\` (another host), without the tabs and line breaks browsers drop from a URL. */
const OWN_PATH = /^\/(?![/\\])[^\t\n\r]*$/;
/** Any origin: a path is the app's own when, resolved against it, it stays there. */
const OWN_ORIGIN = 'http://app.invalid';

/**
 * The path to go to after signing in: the `next` parameter when it is one of this app's own pages, `fallback`
 * otherwise. Only a path from the root with a single `/` is followed: browsers read `\` as `/` and drop tabs
 * and line breaks, so `/\evil.example/x` (`next=/%5Cevil.example/x`) would leave for another host like
 * `//evil.example/x` does; the same holds for those characters still percent-encoded once more.
 */
export function returnPath(search: string, fallback: string): string {
  const next = new URLSearchParams(search).get('next');
  return next !== null && isOwnPath(next) ? next : fallback;
}

function isOwnPath(path: string): boolean {
  let form = path;
  for (let decodings = 0; ; decodings++) {
    if (!OWN_PATH.test(form)) return false;
    const decoded = decodings < MAX_DECODINGS ? decodeOnce(form) : form;
    if (decoded === form) break;
    form = decoded;
  }
  return new URL(path, OWN_ORIGIN).origin === OWN_ORIGIN;
}

/** The text with one layer of percent-encoding undone; as it is when it holds a malformed escape. */
function decodeOnce(text: string): string {
  try {
    return decodeURIComponent(text);
  } catch {
    return text;
  }
}
