import { FeedAnswer } from './feed-http.client';
import { FeedSourceService } from './feed-source.service';
import { Feed } from './sip-feeds.repository';

/** Answers by URL, recording each request. */
class FakeHttp {
  readonly requests: Array<{ url: string; headers: Record<string, string> }> = [];
  constructor(private readonly answers: Record<string, FeedAnswer>) {}
  get(url: string, headers: Record<string, string> = {}): Promise<FeedAnswer> {
    this.requests.push({ url, headers });
    return Promise.resolve(this.answers[url] ?? { status: 404, body: 'not found' });
  }
}

const feed = (overrides: Partial<Feed>): Feed => ({
  id: '1',
  name: 'test',
  url: 'http://feeds.test/list',
  format: 'plain',
  intervalSeconds: 60,
  apiKey: null,
  banDurationSeconds: null,
  createdAt: new Date(),
  nextPullAt: new Date(),
  lastAttemptAt: null,
  lastPulledAt: null,
  lastError: null,
  streamCursor: null,
  entries: 0,
  skippedInvalid: 0,
  truncated: false,
  ...overrides,
});
const json = (body: unknown, status = 200): FeedAnswer => ({ status, body: JSON.stringify(body) });
const source = (http: FakeHttp) => new FeedSourceService(http);
const noPrevious = () => Promise.resolve([]);

describe('FeedSourceService', () => {
  it('reads a plain list, and fails the pull on a non-2xx answer', async () => {
    const http = new FakeHttp({ 'http://feeds.test/list': { status: 200, body: '192.0.2.1\n' } });
    expect((await source(http).read(feed({}), noPrevious)).entries.cidrs).toEqual(['192.0.2.1/32']);
    await expect(source(new FakeHttp({})).read(feed({}), noPrevious)).rejects.toThrow('HTTP 404');
  });

  it("walks APIBan's pages with the key in the path until ID none or a 400", async () => {
    const base = 'https://apiban.test/api/k%2Fey/banned';
    const http = new FakeHttp({
      [base]: json({ ipaddress: ['192.0.2.1', '192.0.2.2'], ID: '10' }),
      [`${base}/10`]: json({ ipaddress: ['192.0.2.3'], ID: '11' }),
      [`${base}/11`]: json({ ipaddress: ['no new bans'], ID: 'none' }, 400),
    });
    const read = await source(http).read(
      feed({ format: 'apiban', url: 'https://apiban.test/api/', apiKey: 'k/ey' }),
      noPrevious,
    );
    expect(read.entries.cidrs).toEqual(['192.0.2.1/32', '192.0.2.2/32', '192.0.2.3/32']);
    expect(http.requests.map((request) => request.url)).toEqual([base, `${base}/10`, `${base}/11`]);
  });

  it('stops at an APIBan ID that does not move on, and fails on a refused key', async () => {
    const base = 'https://apiban.test/api/key/banned';
    const looping = new FakeHttp({
      [base]: json({ ipaddress: ['192.0.2.1'], ID: '10' }),
      [`${base}/10`]: json({ ipaddress: ['192.0.2.2'], ID: '10' }),
    });
    const apiban = feed({ format: 'apiban', url: 'https://apiban.test/api', apiKey: 'key' });
    expect((await source(looping).read(apiban, noPrevious)).entries.cidrs).toHaveLength(2);
    expect(looping.requests).toHaveLength(2);
    const refused = new FakeHttp({ [base]: json({ ipaddress: 'none', ID: 'unauthorized' }, 403) });
    await expect(source(refused).read(apiban, noPrevious)).rejects.toThrow('HTTP 403');
  });

  it('asks a decision stream for startup first, then applies its deltas to the previous entries', async () => {
    const stream = 'http://upstream.test/v1/decisions/stream';
    const http = new FakeHttp({
      [`${stream}?startup=true`]: json({ new: [{ type: 'ban', scope: 'Ip', value: '192.0.2.1' }], deleted: null }),
      [`${stream}?startup=false`]: json({ new: null, deleted: [{ type: 'ban', scope: 'Ip', value: '192.0.2.1' }] }),
    });
    const crowdsec = feed({ format: 'crowdsec', url: 'http://upstream.test/', apiKey: 'bouncer' });
    const first = await source(http).read(crowdsec, noPrevious);
    expect(first).toEqual({ entries: { cidrs: ['192.0.2.1/32'], invalid: 0, truncated: false }, streamCursor: 'live' });
    const next = await source(http).read({ ...crowdsec, streamCursor: 'live' }, () =>
      Promise.resolve(['192.0.2.1/32', '198.51.100.0/24']),
    );
    expect(next.entries.cidrs).toEqual(['198.51.100.0/24']);
    expect(http.requests.map((request) => request.headers['x-api-key'])).toEqual(['bouncer', 'bouncer']);
  });
});
