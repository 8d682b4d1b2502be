import { parsePlainFeed } from './plain-feed.parser';

describe('parsePlainFeed', () => {
  it('reads one address or CIDR a line, canonical and once each, skipping comments and blank lines', () => {
    const text = [
      '# scanners seen this week',
      '203.0.113.7',
      '198.51.100.0/24 ; SBL123',
      '',
      '  192.0.2.77/24   # host bits are cleared',
      '2001:db8::1',
      '203.0.113.7/32',
      '::ffff:198.51.100.9',
      '203.0.113.9 scanner from the honeypot',
    ].join('\r\n');
    expect(parsePlainFeed(text)).toEqual({
      cidrs: [
        '203.0.113.7/32',
        '198.51.100.0/24',
        '192.0.2.0/24',
        '2001:db8::1/128',
        '198.51.100.9/32',
        '203.0.113.9/32',
      ],
      invalid: 0,
      truncated: false,
    });
  });

  it('counts what is not an address as invalid instead of failing', () => {
    const text = ['not-an-ip', '1.2.3', '10.0.0.1/33', '<html>', 'x'.repeat(10_000), '203.0.113.8'].join('\n');
    expect(parsePlainFeed(text)).toEqual({ cidrs: ['203.0.113.8/32'], invalid: 5, truncated: false });
  });

  it('stops at the entry cap and says the list was truncated', () => {
    const text = Array.from({ length: 10 }, (_, i) => `203.0.113.${i}`).join('\n');
    const parsed = parsePlainFeed(text, 3);
    expect(parsed.cidrs).toEqual(['203.0.113.0/32', '203.0.113.1/32', '203.0.113.2/32']);
    expect(parsed.truncated).toBe(true);
  });

  it('reads an empty body as an empty list', () => {
    expect(parsePlainFeed('')).toEqual({ cidrs: [], invalid: 0, truncated: false });
  });
});
