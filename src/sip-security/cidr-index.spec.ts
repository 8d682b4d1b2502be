import { parseIp } from '../common/cidr';
import { CidrIndex } from './cidr-index';

describe('CidrIndex', () => {
  const index = new CidrIndex<string>([
    ['10.0.0.0/8', 'ten'],
    ['10.1.2.0/24', 'ten-one-two'],
    ['192.0.2.7', 'host'],
    ['2001:db8:1:2::/64', 'v6-subscriber'],
    ['2001:db8::/32', 'v6-doc'],
  ]);

  it('finds the most specific entry covering an address', () => {
    expect(index.find(parseIp('10.1.2.3'))).toBe('ten-one-two');
    expect(index.find(parseIp('10.9.9.9'))).toBe('ten');
    expect(index.find(parseIp('192.0.2.7'))).toBe('host');
    expect(index.find(parseIp('2001:db8:1:2:ffff::1'))).toBe('v6-subscriber');
    expect(index.find(parseIp('2001:db8:9::1'))).toBe('v6-doc');
  });

  it('finds nothing outside, or in the other family', () => {
    expect(index.find(parseIp('192.0.2.8'))).toBeUndefined();
    expect(index.find(parseIp('11.0.0.1'))).toBeUndefined();
    expect(index.find(parseIp('2001:db9::1'))).toBeUndefined();
    expect(new CidrIndex<string>([['::/0', 'all-v6']]).find(parseIp('10.0.0.1'))).toBeUndefined();
  });

  it('lists every covering entry, most specific first', () => {
    expect([...index.matches(parseIp('10.1.2.3'))]).toEqual(['ten-one-two', 'ten']);
    expect(index.size).toBe(5);
  });

  it('handles /0 and IPv4-mapped IPv6 addresses', () => {
    const all = new CidrIndex<string>([['0.0.0.0/0', 'all']]);
    expect(all.find(parseIp('203.0.113.1'))).toBe('all');
    expect(index.find(parseIp('::ffff:10.1.2.3'))).toBe('ten-one-two');
  });

  it('adds entries later, one on a CIDR already present replacing it', () => {
    const grown = new CidrIndex<string>([['192.0.2.0/24', 'net']]);
    grown.add([
      ['192.0.2.7/32', 'host'],
      ['192.0.2.0/24', 'net again'],
    ]);
    expect([...grown.matches(parseIp('192.0.2.7'))]).toEqual(['host', 'net again']);
    expect(grown.size).toBe(2);
  });
});
