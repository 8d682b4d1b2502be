import { parseCidr } from '../common/cidr';
import { prefixTooWide } from './prefix-width';

describe('prefixTooWide (SIP_MIN_PREFIX_IPV4 / SIP_MIN_PREFIX_IPV6)', () => {
  const minimums = { ipv4: 8, ipv6: 32 };

  it.each(['10.0.0.0/8', '192.0.2.0/24', '192.0.2.7', '2001:db8::/32', '2001:db8::/64'])('takes %s', (cidr) => {
    expect(prefixTooWide(parseCidr(cidr), minimums)).toBeUndefined();
  });

  it.each([
    ['128.0.0.0/1', '/8 (SIP_MIN_PREFIX_IPV4)'],
    ['0.0.0.0/0', '/8 (SIP_MIN_PREFIX_IPV4)'],
    ['8000::/1', '/32 (SIP_MIN_PREFIX_IPV6)'],
    ['2001:d00::/24', '/32 (SIP_MIN_PREFIX_IPV6)'],
    ['::ffff:0:0/96', '/8 (SIP_MIN_PREFIX_IPV4)'],
  ])('refuses %s, naming the minimum and its variable', (cidr, minimum) => {
    expect(prefixTooWide(parseCidr(cidr), minimums)).toContain(`is wider than the minimum prefix ${minimum}`);
  });

  it('names the CIDR as written beside its network when host bits were set', () => {
    expect(prefixTooWide(parseCidr('10.0.0.0/4'), minimums, '10.0.0.0/4')).toContain(
      'cidr 10.0.0.0/4 (the network 0.0.0.0/4) is wider',
    );
    expect(prefixTooWide(parseCidr('0.0.0.0/4'), minimums, '0.0.0.0/4')).toContain('cidr 0.0.0.0/4 is wider');
  });

  it('follows the configured minimums', () => {
    expect(prefixTooWide(parseCidr('10.0.0.0/8'), { ipv4: 16, ipv6: 32 })).toContain('/16');
    expect(prefixTooWide(parseCidr('0.0.0.0/0'), { ipv4: 0, ipv6: 0 })).toBeUndefined();
  });
});
