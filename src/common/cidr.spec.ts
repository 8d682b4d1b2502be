import { formatCidr, isCidr, parseCidr, parseIp } from './cidr';

describe('cidr', () => {
  it('turns an IPv4-mapped IPv6 address into the IPv4 address', () => {
    expect(parseIp('::ffff:192.0.2.7').toString()).toBe('192.0.2.7');
  });

  it('clears host bits and defaults to a single address', () => {
    expect(formatCidr(parseCidr('192.0.2.77/24'))).toBe('192.0.2.0/24');
    expect(formatCidr(parseCidr('2001:db8::1'))).toBe('2001:db8::1/128');
    expect(formatCidr(parseCidr('2001:db8:1:2:3:4:5:6/64'))).toBe('2001:db8:1:2::/64');
  });

  it.each(['300.1.1.1', '10.0.0.0/33', '::/129', '10.0.0.0/x', '', 'example.com', '1.2.3', '0x7f.0.0.1', 'fe80::1%eth0', '010.1.1.1'])('rejects %s', (text) => {
    expect(isCidr(text)).toBe(false);
  });
});
