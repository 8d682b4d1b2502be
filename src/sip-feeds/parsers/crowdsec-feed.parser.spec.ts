import { FeedEntryCollector } from '../feed-entries';
import { applyCrowdsecStream } from './crowdsec-feed.parser';

const ban = (value: string, scope = value.includes('/') ? 'Range' : 'Ip') => ({
  id: 1,
  origin: 'regshield',
  type: 'ban',
  scope,
  value,
  duration: '1h0m0s',
  scenario: 'svcrack',
});

describe('applyCrowdsecStream', () => {
  it('takes every ban of a startup answer, Ip and Range scopes alike', () => {
    const entries = new FeedEntryCollector();
    applyCrowdsecStream(
      { new: [ban('198.51.100.7'), ban('203.0.113.0/24'), ban('2001:db8::/64')], deleted: [] },
      entries,
    );
    expect(entries.result()).toEqual({
      cidrs: ['198.51.100.7/32', '203.0.113.0/24', '2001:db8::/64'],
      invalid: 0,
      truncated: false,
    });
  });

  it('applies a delta to what the feed held: deleted first, then new', () => {
    const entries = FeedEntryCollector.from(['198.51.100.7/32', '198.51.100.8/32']);
    applyCrowdsecStream(
      { new: [ban('198.51.100.9'), ban('198.51.100.8')], deleted: [ban('198.51.100.7'), ban('198.51.100.8')] },
      entries,
    );
    expect(entries.result().cidrs.sort()).toEqual(['198.51.100.8/32', '198.51.100.9/32']);
  });

  it('reads null lists (as the Local API sends them) as empty', () => {
    const entries = FeedEntryCollector.from(['198.51.100.7/32']);
    applyCrowdsecStream({ new: null, deleted: null }, entries);
    expect(entries.result().cidrs).toEqual(['198.51.100.7/32']);
  });

  it('counts decisions that are not bans of an address or range as invalid', () => {
    const entries = new FeedEntryCollector();
    applyCrowdsecStream(
      {
        new: [
          { ...ban('198.51.100.7'), type: 'captcha' },
          { ...ban('FR'), scope: 'Country' },
          { ...ban('198.51.100.8'), value: 12 },
          'garbage',
          null,
          ban('not-an-address'),
          { ...ban('198.51.100.9'), type: 'BAN', scope: 'ip' },
        ],
      },
      entries,
    );
    expect(entries.result()).toEqual({ cidrs: ['198.51.100.9/32'], invalid: 6, truncated: false });
  });

  it('refuses an answer that is not a stream', () => {
    expect(() => applyCrowdsecStream([], new FeedEntryCollector())).toThrow('not a JSON object');
    expect(() => applyCrowdsecStream({ new: 'x' }, new FeedEntryCollector())).toThrow('"new" is not an array');
  });
});
