import { clientIp } from './client-ip';

describe('clientIp', () => {
  it('is the address Fastify resolved, normalised', () => {
    expect(clientIp({ ip: '203.0.113.9' })).toBe('203.0.113.9');
    expect(clientIp({ ip: '::ffff:203.0.113.9' })).toBe('203.0.113.9');
    expect(clientIp({ ip: '2001:DB8::1' })).toBe('2001:db8::1');
  });
});
