import { DataSource } from 'typeorm';
import { BanIndexService } from './ban-index.service';
import { SipAllowlistRepository } from './sip-allowlist.repository';
import { IndexedBan, SipBansRepository } from './sip-bans.repository';

/** The index over fake repositories: its rules, without a database (the listener is never started). */
function indexWith(bans: IndexedBan[], allowlist: string[]): BanIndexService {
  const banRepository = { findActiveBansForIndex: () => Promise.resolve(bans) } as unknown as SipBansRepository;
  const allowlistRepository = { findAllCidrs: () => Promise.resolve(allowlist) } as unknown as SipAllowlistRepository;
  const dataSource = { options: { url: 'postgresql://unused' } } as unknown as DataSource;
  return new BanIndexService(banRepository, allowlistRepository, dataSource);
}

/**
 * An index whose first read of the bans waits for `release()` and returns the bans as they were when it
 * began; later reads return `bans` at once.
 */
function indexWithSlowFirstRead(): {
  index: BanIndexService;
  setBans: (bans: IndexedBan[]) => void;
  release: () => void;
} {
  let bans: IndexedBan[] = [];
  let release: () => void = () => undefined;
  const slow = new Promise<void>((resolve) => (release = resolve));
  let calls = 0;
  const banRepository = {
    findActiveBansForIndex: async () => {
      calls += 1;
      const snapshot = bans;
      if (calls === 1) await slow;
      return snapshot;
    },
  } as unknown as SipBansRepository;
  const allowlistRepository = { findAllCidrs: () => Promise.resolve([]) } as unknown as SipAllowlistRepository;
  const index = new BanIndexService(banRepository, allowlistRepository, {
    options: { url: 'postgresql://unused' },
  } as unknown as DataSource);
  return { index, setBans: (next) => (bans = next), release: () => release() };
}

const inOneHour = () => new Date(Date.now() + 3600_000);

describe('BanIndexService.check', () => {
  it('reports a covering ban with its expiry and reason', async () => {
    const expiresAt = inOneHour();
    const index = indexWith([{ cidr: '203.0.113.0/24', reason: 'scan', expiresAt }], []);
    await index.reload();
    expect(index.check('203.0.113.9')).toEqual({
      ip: '203.0.113.9',
      banned: true,
      allowlisted: false,
      expiresAt,
      reason: 'scan',
    });
    expect(index.check('203.0.114.9')).toMatchObject({ banned: false, expiresAt: null, reason: null });
  });

  it('gives the allowlist precedence: an allowlisted address is never banned, as in regshield_is_banned()', async () => {
    const index = indexWith([{ cidr: '198.51.100.0/24', reason: 'scan', expiresAt: null }], ['198.51.100.7/32']);
    await index.reload();
    expect(index.check('198.51.100.7')).toEqual({
      ip: '198.51.100.7',
      banned: false,
      allowlisted: true,
      expiresAt: null,
      reason: null,
    });
    expect(index.check('198.51.100.8')).toMatchObject({ banned: true, allowlisted: false });
  });

  it('skips an expired ban for a still active wider one', async () => {
    const index = indexWith(
      [
        { cidr: '192.0.2.7/32', reason: 'expired', expiresAt: new Date(Date.now() - 1000) },
        { cidr: '192.0.2.0/24', reason: 'until lifted', expiresAt: null },
      ],
      [],
    );
    await index.reload();
    expect(index.check('192.0.2.7')).toMatchObject({ banned: true, reason: 'until lifted', expiresAt: null });
  });

  it('reads an IPv4-mapped address as the IPv4 address', async () => {
    const index = indexWith([{ cidr: '192.0.2.0/24', reason: 'scan', expiresAt: null }], []);
    await index.reload();
    expect(index.check('::ffff:192.0.2.1')).toMatchObject({ ip: '192.0.2.1', banned: true });
  });

  it('refuses what is not an address', () => {
    expect(() => indexWith([], []).check('example.com')).toThrow();
  });

  it('never lets an older reload overwrite a newer one', async () => {
    const { index, setBans, release } = indexWithSlowFirstRead();
    const first = index.reload();
    setBans([{ cidr: '192.0.2.1/32', reason: 'new', expiresAt: null }]);
    const second = index.reload();
    release();
    await Promise.all([first, second]);
    expect(index.check('192.0.2.1').banned).toBe(true);
  });

  it('puts added bans in force at once and tells its listeners, the allowlist still winning', async () => {
    const index = indexWith([], ['198.51.100.7/32']);
    await index.reload();
    const heard: string[][] = [];
    index.onChange((snapshot) => heard.push(snapshot.bans.map((ban) => ban.cidr)));
    index.add([
      { cidr: '203.0.113.7/32', reason: 'auto', expiresAt: inOneHour() },
      { cidr: '198.51.100.7/32', reason: 'auto', expiresAt: inOneHour() },
    ]);
    expect(index.check('203.0.113.7')).toMatchObject({ banned: true, reason: 'auto' });
    expect(index.check('198.51.100.7')).toMatchObject({ banned: false, allowlisted: true });
    expect(heard).toEqual([['203.0.113.7/32', '198.51.100.7/32']]);
  });

  it('keeps a ban added while a reload reads, which that read may miss, but not past the next reload', async () => {
    const { index, setBans, release } = indexWithSlowFirstRead();
    const reading = index.reload();
    const added = { cidr: '192.0.2.1/32', reason: 'auto', expiresAt: inOneHour() };
    index.add([added]);
    release();
    await reading;
    expect(index.check('192.0.2.1').banned).toBe(true);
    expect(index.snapshot().bans).toEqual([added]);
    // lifted meanwhile: the next read no longer has it, nor does the index
    setBans([]);
    await index.reload();
    expect(index.check('192.0.2.1').banned).toBe(false);
  });

  it('answers again from what it found until the indexes change or the ban found expires', async () => {
    const now = Date.now();
    const clock = jest.spyOn(Date, 'now').mockReturnValue(now);
    try {
      const index = indexWith(
        [
          { cidr: '192.0.2.7/32', reason: 'short', expiresAt: new Date(now + 1000) },
          { cidr: '192.0.2.0/24', reason: 'until lifted', expiresAt: null },
        ],
        [],
      );
      await index.reload();
      expect(index.check('203.0.113.7')).toMatchObject({ banned: false });
      expect(index.check('192.0.2.7')).toMatchObject({ banned: true, reason: 'short' });
      index.add([{ cidr: '203.0.113.7/32', reason: 'auto', expiresAt: null }]);
      expect(index.check('203.0.113.7')).toMatchObject({ banned: true, reason: 'auto' });
      clock.mockReturnValue(now + 1000);
      expect(index.check('192.0.2.7')).toMatchObject({ banned: true, reason: 'until lifted' });
    } finally {
      clock.mockRestore();
    }
  });
});
