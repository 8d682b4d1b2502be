import { FeedEntries, FeedEntryCollector } from '../feed-entries';

/**
 * A plain list: one IP address or CIDR a line. `#` starts a comment (anywhere on a line), and so does `;`
 * (Spamhaus DROP writes `192.0.2.0/24 ; SBL123`); only a line's first field is read, so `203.0.113.7 scanner`
 * is taken as the address. Blank lines are skipped; anything else that is not an address is counted invalid.
 */
export function parsePlainFeed(text: string, maxEntries?: number): FeedEntries {
  const collector = new FeedEntryCollector(maxEntries);
  for (const line of text.split(/\r?\n/)) {
    const content = line.replace(/[#;].*$/, '').trim();
    if (content === '') continue;
    collector.add(content.split(/\s+/, 1)[0]);
  }
  return collector.result();
}
