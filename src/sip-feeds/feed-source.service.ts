import { Injectable } from '@nestjs/common';
import { FeedEntries, FeedEntryCollector } from './feed-entries';
import { FeedAnswer, FeedFetchError, FeedHttpClient } from './feed-http.client';
import { parseApibanPage } from './parsers/apiban-feed.parser';
import { parseFeedJson } from './parsers/feed-json';
import { applyCrowdsecStream } from './parsers/crowdsec-feed.parser';
import { parsePlainFeed } from './parsers/plain-feed.parser';
import { Feed } from './sip-feeds.repository';

/** What one pull read: the feed's entries now, and where a decision stream stands afterwards. */
export interface FeedRead {
  entries: FeedEntries;
  streamCursor: string | null;
}

/** A CrowdSec stream that answered once follows with deltas. */
const STREAM_LIVE = 'live';
/** 400 pages of 250 addresses: MAX_FEED_ENTRIES; a feed whose IDs never end stops here. */
const MAX_APIBAN_PAGES = 400;

/**
 * Reads a feed over HTTP in its format. `previous` gives the entries a decision stream's deltas apply to;
 * `cancel` ends its requests early.
 */
@Injectable()
export class FeedSourceService {
  constructor(private readonly http: FeedHttpClient) {}

  read(feed: Feed, previous: () => Promise<string[]>, cancel?: AbortSignal): Promise<FeedRead> {
    switch (feed.format) {
      case 'plain':
        return this.readPlain(feed, cancel);
      case 'apiban':
        return this.readApiban(feed, cancel);
      case 'crowdsec':
        return this.readCrowdsec(feed, previous, cancel);
    }
  }

  private async readPlain(feed: Feed, cancel?: AbortSignal): Promise<FeedRead> {
    const answer = await this.http.get(feed.url, {}, cancel);
    expectOk(answer);
    return { entries: parsePlainFeed(answer.body), streamCursor: null };
  }

  /**
   * APIBan's whole list, page by page: `{url}/{key}/banned`, then `…/banned/{ID}` with each answer's ID until
   * `"ID":"none"` or a 400 (nothing newer). Each pull reads the whole list, so an address APIBan no longer
   * lists is lifted; any other non-2xx (403 a bad key, 429 its rate limit) fails the pull.
   */
  private async readApiban(feed: Feed, cancel?: AbortSignal): Promise<FeedRead> {
    const base = `${feed.url.replace(/\/+$/, '')}/${encodeURIComponent(feed.apiKey ?? '')}/banned`;
    const entries = new FeedEntryCollector();
    let id: string | undefined;
    for (let page = 0; page < MAX_APIBAN_PAGES; page++) {
      const answer = await this.http.get(id === undefined ? base : `${base}/${id}`, {}, cancel);
      if (answer.status === 400) break;
      expectOk(answer);
      const { addresses, nextId } = parseApibanPage(parseFeedJson(answer.body));
      for (const address of addresses) entries.add(address);
      if (nextId === undefined || nextId === id || addresses.length === 0) break;
      id = nextId;
    }
    return { entries: entries.result(), streamCursor: null };
  }

  /** `startup=true` the first time (and after any failed pull), then the deltas since this feed's last pull. */
  private async readCrowdsec(feed: Feed, previous: () => Promise<string[]>, cancel?: AbortSignal): Promise<FeedRead> {
    const startup = feed.streamCursor !== STREAM_LIVE;
    const url = new URL(streamUrl(feed.url));
    url.searchParams.set('startup', String(startup));
    const answer = await this.http.get(url.toString(), { 'x-api-key': feed.apiKey ?? '' }, cancel);
    expectOk(answer);
    const entries = startup ? new FeedEntryCollector() : FeedEntryCollector.from(await previous());
    applyCrowdsecStream(parseFeedJson(answer.body), entries);
    return { entries: entries.result(), streamCursor: STREAM_LIVE };
  }
}

/** The Local API's base URL (as bouncers are configured) or the stream's own URL. */
function streamUrl(url: string): string {
  const trimmed = url.replace(/\/+$/, '');
  return trimmed.endsWith('/v1/decisions/stream') ? trimmed : `${trimmed}/v1/decisions/stream`;
}

function expectOk(answer: FeedAnswer): void {
  if (answer.status < 200 || answer.status > 299) throw new FeedFetchError(`HTTP ${answer.status}`);
}
