import type { ReceivedMail, SmtpSink } from './smtp-sink';

/** Resolves after `ms` milliseconds. */
export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** Polls until the probe returns a value (not undefined); throws after the timeout. */
export async function waitFor<T>(probe: () => Promise<T | undefined>, timeoutMs = 20_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await sleep(200);
  }
}

/** Polls `check` until it returns something truthy (waitFor, for checks that answer false or null). */
export function eventually<T>(check: () => Promise<T> | T, timeoutMs = 15_000): Promise<NonNullable<T>> {
  return waitFor(async () => (await check()) || undefined, timeoutMs);
}

/** The latest e-mail to `address` whose subject says `subject`, once `count` such have arrived. */
export async function mailTo(sink: SmtpSink, address: string, subject: string, count = 1): Promise<ReceivedMail> {
  const deadline = Date.now() + 15_000;
  for (;;) {
    const matching = sink.to(address).filter((mail) => mail.subject.includes(subject));
    if (matching.length >= count) return matching[matching.length - 1];
    if (Date.now() > deadline) throw new Error(`No e-mail "${subject}" (#${count}) reached ${address}`);
    await sleep(50);
  }
}
