import { clientIp, toFastifyTrustProxy } from './client-ip';

describe('clientIp', () => {
  it('is the address Fastify resolved, normalised', () => {
    expect(clientIp({ ip: '203.0.113.9' })).toBe('203.0.113.9');
    expect(clientIp({ ip: '::ffff:203.0.113.9' })).toBe('203.0.113.9');
    expect(clientIp({ ip: '2001:DB8::1' })).toBe('2001:db8::1');
  });

  it('is the untrusted hop Fastify stopped at when that is an address', () => {
    expect(clientIp({ ip: '203.0.113.7', ips: ['127.0.0.1', '203.0.113.7'] })).toBe('203.0.113.7');
  });

  it.each(['victim.example.org', '999.1.1.1', 'h0', '', '1.2.3', '0x7f.1', 'fe80::1%eth0', '203.0.113.7:4711'])(
    'never takes %j: the nearest valid hop towards the socket wins',
    (junk) => {
      expect(clientIp({ ip: junk, ips: ['127.0.0.1', junk] })).toBe('127.0.0.1');
      expect(clientIp({ ip: junk, ips: ['127.0.0.1', '198.51.100.4', junk] })).toBe('198.51.100.4');
      expect(clientIp({ ip: junk, ips: ['127.0.0.1', 'h1', junk] })).toBe('127.0.0.1');
    },
  );
});

describe('toFastifyTrustProxy', () => {
  it('trusts the socket peer and the next hops - 1 addresses for a hop count, as Express does', () => {
    const trust = toFastifyTrustProxy(2) as (address: string, hop: number) => boolean;
    expect([0, 1, 2, 3].map((hop) => trust('192.0.2.1', hop))).toEqual([true, true, false, false]);
  });

  it('hands Fastify a CIDR list and "unset" as they are', () => {
    expect(toFastifyTrustProxy(['10.0.0.0/8', 'loopback'])).toEqual(['10.0.0.0/8', 'loopback']);
    expect(toFastifyTrustProxy(false)).toBe(false);
  });
});
