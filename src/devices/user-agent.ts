import Bowser from 'bowser';
import { withoutControlOrBidiOverride } from '../common/text';

/** How much of an unrecognised User-Agent is quoted: enough to tell one script from another, no more. */
const QUOTED_USER_AGENT_LENGTH = 60;

/**
 * A User-Agent as a person reads it: "Chrome 141 on Linux", "Firefox 133 on Windows 10", "Safari 17 on
 * iOS". A client the parser does not know (a script, a bot) is quoted, cut short and without control or
 * bidirectional characters, since the header says whatever the client chose.
 */
export function describeUserAgent(userAgent: string | null | undefined): string {
  const header = userAgent?.trim();
  if (!header) return 'Unknown client';
  const { browser, os } = Bowser.parse(header);
  if (!browser.name) return `Unknown client (${quoted(header)})`;
  const major = browser.version?.split('.')[0];
  const name = major ? `${browser.name} ${major}` : browser.name;
  if (!os.name) return name;
  return `${name} on ${os.versionName ? `${os.name} ${os.versionName}` : os.name}`;
}

function quoted(header: string): string {
  const printable = withoutControlOrBidiOverride(header);
  return printable.length > QUOTED_USER_AGENT_LENGTH ? `${printable.slice(0, QUOTED_USER_AGENT_LENGTH)}…` : printable;
}
