import { AnnouncedTable, WakeUps } from './insert-signals';

describe('WakeUps', () => {
  const SAFETY_LOOK_MS = 10_000;
  let announce: () => void;
  const signals = {
    listening: true,
    subscribe: (_tables: readonly AnnouncedTable[], wake: () => void) => {
      announce = wake;
    },
  };

  it('looks first, then only after an announcement, a failed look, or the safety interval', () => {
    signals.listening = true;
    const wakeUps = new WakeUps(signals, ['mail_outbox'], SAFETY_LOOK_MS);
    expect(wakeUps.mustLook(1_000)).toBe(true);
    wakeUps.lookStarting(1_000);
    expect(wakeUps.mustLook(1_250)).toBe(false);

    announce();
    expect(wakeUps.mustLook(1_500)).toBe(true);
    wakeUps.lookStarting(1_500);
    wakeUps.lookAgain();
    expect(wakeUps.mustLook(1_750)).toBe(true);
    wakeUps.lookStarting(1_750);

    expect(wakeUps.mustLook(1_750 + SAFETY_LOOK_MS - 1)).toBe(false);
    expect(wakeUps.mustLook(1_750 + SAFETY_LOOK_MS)).toBe(true);
  });

  it('looks at every tick while nothing can be announced (the LISTEN connection is down)', () => {
    const wakeUps = new WakeUps(signals, ['mail_outbox'], SAFETY_LOOK_MS);
    wakeUps.lookStarting(1_000);
    signals.listening = false;
    expect(wakeUps.mustLook(1_001)).toBe(true);
  });
});
