import { proxyBanState } from './proxy-ban-state';

describe('proxyBanState', () => {
  const now = Date.parse('2026-01-01T00:00:00Z');
  const ban = (cidr: string, expiresInSeconds: number | null) => ({
    cidr,
    reason: 'test',
    expiresAt: expiresInSeconds === null ? null : new Date(now + expiresInSeconds * 1000),
  });

  it('keys single addresses by the address and lists wider CIDRs, dropping expired bans', () => {
    const state = proxyBanState(
      {
        bans: [
          ban('198.51.100.7/32', 60),
          ban('2001:db8::1/128', null),
          ban('203.0.113.0/24', null),
          ban('2001:db8:1::/64', 5),
          ban('192.0.2.1/32', -1),
        ],
        allowlist: ['127.0.0.1/32', '10.0.0.0/8'],
      },
      now,
    );
    expect([...state.hostBans]).toEqual([
      ['198.51.100.7', now + 60_000],
      ['2001:db8::1', null],
    ]);
    expect(state.wideBans).toBe('2001:db8:1::/64,203.0.113.0/24');
    expect(state.allowlist).toBe('10.0.0.0/8,127.0.0.1/32');
  });

  it('keeps the longest-lasting of two bans on one address', () => {
    const state = proxyBanState(
      { bans: [ban('198.51.100.7/32', 60), ban('198.51.100.7/32', null), ban('198.51.100.7/32', 600)], allowlist: [] },
      now,
    );
    expect(state.hostBans.get('198.51.100.7')).toBeNull();
    const timed = proxyBanState(
      { bans: [ban('198.51.100.8/32', 600), ban('198.51.100.8/32', 60)], allowlist: [] },
      now,
    );
    expect(timed.hostBans.get('198.51.100.8')).toBe(now + 600_000);
  });
});
