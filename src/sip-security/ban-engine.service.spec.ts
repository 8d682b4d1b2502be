import { AppConfig } from '../config/app-config';
import { SipBan } from '../database/entities/sip-ban.entity';
import { MetricsService } from '../metrics/metrics.service';
import { InsertSignals } from '../database/insert-signals';
import { BanIndexService } from './ban-index.service';
import { BanEngineService, ENGINE_INTERVAL_MS, ENGINE_SAFETY_LOOK_MS, banDurationSeconds } from './ban-engine.service';
import { BanService } from './ban.service';
import {
  BanEligibility,
  DecoyTouch,
  IndexedBan,
  NewAutomaticBan,
  Offender,
  SipBansRepository,
  UnitActivity,
} from './sip-bans.repository';

describe('banDurationSeconds (Fail2Ban bantime.increment)', () => {
  const settings = { banTimeSeconds: 3600, timeFactor: 2, maxTimeSeconds: 604800 };

  it('grows by the factor with each earlier ban of the same source', () => {
    expect([0, 1, 2, 3].map((previous) => banDurationSeconds(settings, previous))).toEqual([3600, 7200, 14400, 28800]);
  });

  it('stops at the max time', () => {
    expect(banDurationSeconds(settings, 8)).toBe(604800);
    expect(banDurationSeconds(settings, 200)).toBe(604800);
  });

  it('stays flat with a factor of 1', () => {
    expect(banDurationSeconds({ ...settings, timeFactor: 1 }, 5)).toBe(3600);
  });
});

/** The engine over a fake repository: what each look finds (the last entry of a list: every later look), and what it inserts. */
function engineWith(found: {
  offenders?: Offender[] | Offender[][];
  decoyTouches?: DecoyTouch[];
  eligibility?: Record<string, Partial<BanEligibility>>;
  activity?: Record<string, Partial<UnitActivity>>;
}) {
  const inserted: NewAutomaticBan[] = [];
  const added: IndexedBan[] = [];
  const perLook =
    found.offenders?.length && Array.isArray(found.offenders[0])
      ? (found.offenders as Offender[][])
      : [(found.offenders ?? []) as Offender[]];
  let looks = 0;
  const repository = {
    inEngineTransaction: <T>(work: (manager: unknown) => Promise<T>) => work({}),
    findSettledEventHorizons: () => {
      looks += 1;
      return Promise.resolve({ failed: '10', knocks: '10' });
    },
    countRecentEventsBySource: () => Promise.resolve(perLook[Math.min(looks, perLook.length) - 1]),
    findDecoyTouches: () => Promise.resolve(found.decoyTouches ?? []),
    findBanEligibilities: (_manager: unknown, units: string[]) =>
      Promise.resolve(
        new Map(
          units.map((unit) => [
            unit,
            { allowlisted: false, banned: false, previousAutomaticBans: 0, ...found.eligibility?.[unit] },
          ]),
        ),
      ),
    summarizeUnitActivity: (_manager: unknown, units: string[]) =>
      Promise.resolve(
        new Map(
          units.map((unit) => [
            unit,
            {
              counts: {},
              failedRegistrations: 0,
              doorKnocks: 0,
              firstEventAt: '2026-12-07T08:00:00.000Z',
              lastEventAt: '2026-12-07T08:00:01.000Z',
              distinctUsernames: 0,
              usernames: [],
              userAgents: [],
              truncated: false,
              ...found.activity?.[unit],
            },
          ]),
        ),
      ),
    insertAutomaticBans: (_manager: unknown, bans: NewAutomaticBan[]) => {
      inserted.push(...bans);
      return Promise.resolve(
        bans.map((ban, i) =>
          Object.assign(new SipBan(), {
            id: String(i + 1),
            cidr: ban.unit,
            reason: ban.reason,
            source: 'auto',
            evidence: ban.evidence,
          }),
        ),
      );
    },
  } as unknown as SipBansRepository;
  const logged: string[] = [];
  const bans = {
    recordAutomaticBans: (created: Array<{ ban: SipBan }>) => void logged.push(...created.map(({ ban }) => ban.cidr)),
  } as unknown as BanService;
  const index = { add: (bans: IndexedBan[]) => void added.push(...bans) } as unknown as BanIndexService;
  const metrics = { setBanEngineWatermark: () => undefined } as unknown as MetricsService;
  const config = {
    sipBan: { maxRetry: 5, findTimeSeconds: 600, banTimeSeconds: 3600, timeFactor: 2, maxTimeSeconds: 604800 },
    sipDecoyUsernames: ['admin'],
  } as AppConfig;
  // Not listening unless a test says so: every tick looks, as without the wake-ups.
  let wake = () => undefined as void;
  const signals = {
    listening: false,
    subscribe: (_tables: unknown, onWake: () => void) => {
      wake = onWake;
    },
  };
  return {
    engine: new BanEngineService(repository, bans, index, metrics, signals as unknown as InsertSignals, config),
    signals,
    announce: () => wake(),
    inserted,
    added,
    logged,
    looks: () => looks,
  };
}

describe('BanEngineService rules', () => {
  it('bans a source that touched a decoy once, with the decoy as its reason and evidence', async () => {
    const { engine, inserted } = engineWith({
      decoyTouches: [{ unit: '203.0.113.7/32', username: 'admin' }],
      activity: {
        '203.0.113.7/32': {
          counts: { decoy: 1 },
          doorKnocks: 1,
          distinctUsernames: 1,
          usernames: ['admin'],
          userAgents: ['friendly-scanner'],
        },
      },
    });
    const created = await engine.evaluate();
    expect(created.map((ban) => ban.cidr)).toEqual(['203.0.113.7/32']);
    expect(inserted[0]).toMatchObject({
      reason: "decoy username 'admin' touched",
      durationSeconds: 3600,
      evidence: { rule: 'decoy', decoyUsername: 'admin', usernames: ['admin'], userAgents: ['friendly-scanner'] },
    });
  });

  it('a decoy touch decides the rule of a source that also crossed the limit, and is banned once', async () => {
    const { engine, inserted } = engineWith({
      offenders: [{ unit: '203.0.113.7/32', hits: 5 }],
      decoyTouches: [{ unit: '203.0.113.7/32', username: 'admin' }],
    });
    await engine.evaluate();
    expect(inserted).toHaveLength(1);
    expect(inserted[0].evidence.rule).toBe('decoy');
  });

  it('says what crossed the limit, and grows a repeat offender’s ban', async () => {
    const { engine, inserted } = engineWith({
      offenders: [{ unit: '2001:db8:1:2::/64', hits: 5 }],
      eligibility: { '2001:db8:1:2::/64': { previousAutomaticBans: 1 } },
      activity: {
        '2001:db8:1:2::/64': { counts: { failed_registration: 7 }, failedRegistrations: 7, distinctUsernames: 1 },
      },
    });
    await engine.evaluate();
    expect(inserted[0]).toMatchObject({
      reason: '7 failed registrations for 1 username within 600 s; ban #2',
      durationSeconds: 7200,
      evidence: { rule: 'max_retry', maxRetry: 5, findTimeSeconds: 600, failedRegistrations: 7 },
    });
  });

  it('never bans an allowlisted source, decoy or not, nor one already banned', async () => {
    const { engine, inserted } = engineWith({
      offenders: [{ unit: '198.51.100.9/32', hits: 5 }],
      decoyTouches: [{ unit: '192.0.2.1/32', username: 'admin' }],
      eligibility: { '192.0.2.1/32': { allowlisted: true }, '198.51.100.9/32': { banned: true } },
    });
    expect(await engine.evaluate()).toEqual([]);
    expect(inserted).toEqual([]);
  });
});

describe('BanEngineService timing', () => {
  afterEach(() => jest.useRealTimers());

  it('puts a look’s bans in the index itself, without a reload', async () => {
    const { engine, added } = engineWith({ offenders: [{ unit: '203.0.113.7/32', hits: 5 }] });
    await engine.evaluate();
    expect(added).toEqual([{ cidr: '203.0.113.7/32', reason: expect.any(String), expiresAt: undefined }]);
  });

  it('puts a burst’s bans in the index before its look ends, and logs every one of them in order', async () => {
    const units = Array.from({ length: 120 }, (_, i) => `198.18.0.${i + 1}/32`);
    const more = ['198.18.1.1/32'];
    const { engine, added, logged } = engineWith({
      offenders: [units.map((unit) => ({ unit, hits: 5 })), more.map((unit) => ({ unit, hits: 5 }))],
    });
    await engine.evaluate();
    expect(added.map(({ cidr }) => cidr)).toEqual(units);
    await engine.evaluate();
    await engine.loggedSoFar();
    expect(logged).toEqual([...units, ...more]);
  });

  it('writes the pending lines before shutting down', async () => {
    const { engine, logged } = engineWith({ offenders: [{ unit: '203.0.113.7/32', hits: 5 }] });
    await engine.evaluate();
    await engine.onApplicationShutdown();
    expect(logged).toEqual(['203.0.113.7/32']);
  });

  it('looks again at once after a look that banned, and waits the interval after one that found nothing', async () => {
    jest.useFakeTimers();
    const offender = (unit: string) => [{ unit, hits: 5 }];
    const { engine, looks } = engineWith({ offenders: [offender('203.0.113.7/32'), offender('203.0.113.8/32'), []] });
    engine.onApplicationBootstrap();
    await jest.advanceTimersByTimeAsync(ENGINE_INTERVAL_MS);
    expect(looks()).toBe(1);
    // the first two looks banned: each is followed at once (within a few ms of fake time: Node runs a timer of 0
    // after 1 ms), the third found nothing and waits the interval
    await jest.advanceTimersByTimeAsync(10);
    expect(looks()).toBe(3);
    await jest.advanceTimersByTimeAsync(ENGINE_INTERVAL_MS - 20);
    expect(looks()).toBe(3);
    await jest.advanceTimersByTimeAsync(20);
    expect(looks()).toBe(4);
    await engine.onApplicationShutdown();
    await jest.advanceTimersByTimeAsync(10 * ENGINE_INTERVAL_MS);
    expect(looks()).toBe(4);
  });

  it('while listening, skips the ticks with nothing announced, but looks at the next tick after an announcement and every safety interval', async () => {
    jest.useFakeTimers();
    const { engine, looks, signals, announce } = engineWith({});
    signals.listening = true;
    engine.onApplicationBootstrap();
    await jest.advanceTimersByTimeAsync(ENGINE_INTERVAL_MS);
    expect(looks()).toBe(1);
    await jest.advanceTimersByTimeAsync(10 * ENGINE_INTERVAL_MS);
    expect(looks()).toBe(1);
    expect(engine.lagSeconds()).toBeLessThan(ENGINE_INTERVAL_MS / 1000);
    announce();
    await jest.advanceTimersByTimeAsync(ENGINE_INTERVAL_MS);
    expect(looks()).toBe(2);
    await jest.advanceTimersByTimeAsync(ENGINE_SAFETY_LOOK_MS - 2 * ENGINE_INTERVAL_MS);
    expect(looks()).toBe(2);
    await jest.advanceTimersByTimeAsync(2 * ENGINE_INTERVAL_MS);
    expect(looks()).toBe(3);
    // the LISTEN connection lost: nothing can be announced, so every tick looks
    signals.listening = false;
    await jest.advanceTimersByTimeAsync(ENGINE_INTERVAL_MS);
    expect(looks()).toBe(4);
    await engine.onApplicationShutdown();
  });
});
