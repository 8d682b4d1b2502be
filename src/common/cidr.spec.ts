import ipaddr from 'ipaddr.js';
import { formatCidr, isCidr, isIp, normalizeCidr, normalizeIp, parseCidr, parseIp, parseIpOrUndefined } from './cidr';

describe('cidr', () => {
  it('turns an IPv4-mapped IPv6 address into the IPv4 address', () => {
    expect(parseIp('::ffff:192.0.2.7').toString()).toBe('192.0.2.7');
  });

  it('clears host bits and defaults to a single address', () => {
    expect(formatCidr(parseCidr('192.0.2.77/24'))).toBe('192.0.2.0/24');
    expect(formatCidr(parseCidr('2001:db8::1'))).toBe('2001:db8::1/128');
    expect(formatCidr(parseCidr('2001:db8:1:2:3:4:5:6/64'))).toBe('2001:db8:1:2::/64');
  });

  it.each([
    '300.1.1.1',
    '10.0.0.0/33',
    '::/129',
    '10.0.0.0/x',
    '',
    'example.com',
    '1.2.3',
    '0x7f.0.0.1',
    'fe80::1%eth0',
    '010.1.1.1',
  ])('rejects %s', (text) => {
    expect(isCidr(text)).toBe(false);
  });
});

describe('IPv4-mapped IPv6: ::ffff:a.b.c.d/N is the IPv4 CIDR a.b.c.d/(N-96)', () => {
  it.each([
    ['::ffff:192.0.2.7', '192.0.2.7/32'],
    ['::ffff:192.0.2.7/128', '192.0.2.7/32'],
    ['::ffff:192.0.2.77/120', '192.0.2.0/24'],
    ['::ffff:0:0/96', '0.0.0.0/0'],
    ['::FFFF:C000:0207', '192.0.2.7/32'],
  ])('reads %s as %s', (text, expected) => {
    expect(normalizeCidr(text)).toBe(expected);
  });

  it.each(['::ffff:1.2.3.4/32', '::ffff:0:0/95'])('refuses %s: a mapped address with a prefix under 96', (text) => {
    expect(isCidr(text)).toBe(false);
    expect(() => parseCidr(text)).toThrow('prefix length must be 96 to 128');
  });

  it('leaves other IPv6 networks alone, the mapped range inside them included', () => {
    expect(normalizeCidr('::/0')).toBe('::/0');
    expect(normalizeCidr('2001:db8::ffff:1/128')).toBe('2001:db8::ffff:1/128');
  });

  it('reads a bare mapped address as the IPv4 address', () => {
    expect(normalizeIp('::ffff:203.0.113.9')).toBe('203.0.113.9');
  });
});

describe('isIp', () => {
  it.each([
    ['192.0.2.7', true],
    [' 192.0.2.7 ', true],
    ['0.0.0.0', true],
    ['255.255.255.255', true],
    ['256.1.1.1', false],
    ['01.1.1.1', false],
    ['1.2.3', false],
    ['0x7f.0.0.1', false],
    ['2001:db8::1', true],
    ['::ffff:192.0.2.7', true],
    ['::', true],
    ['fe80::1%eth0', false],
    ['2001:db8::g', false],
    ['1.2.3.4:5060', false],
    ['', false],
    ['example.com', false],
  ])('%s → %s', (text, expected) => {
    expect(isIp(text)).toBe(expected);
    expect(parseIpOrUndefined(text) !== undefined).toBe(expected);
  });

  it.each(['0.0.0.0', '192.0.2.7', ' 203.0.113.255 ', '255.255.255.255'])(
    'reads the dotted quad %s as ipaddr.js does',
    (text) => {
      const address = parseIpOrUndefined(text)!;
      expect(address.kind()).toBe('ipv4');
      expect(address.toString()).toBe(text.trim());
      expect(address.toByteArray()).toEqual(ipaddr.IPv4.parse(text.trim()).toByteArray());
    },
  );
});
