import { useEffect } from 'react';
import { Allowlist } from './allowlist';
import { Bans } from './bans';
import { Stats } from './stats';
import { Timeline } from './timeline';

/** The SIP door: attacks over time, what they were, who sent them, and the bans and allowlist that answer them. */
export function SipPage() {
  useEffect(() => {
    document.title = 'SIP door · regshield';
  }, []);
  return (
    <>
      <h1>SIP door</h1>
      <Timeline />
      <Stats />
      <Bans />
      <Allowlist />
    </>
  );
}
