import { useEffect } from 'react';
import { Allowlist } from './allowlist';
import { BanHistory } from './ban-history';
import { Bans } from './bans';
import { SipPagesNav } from './sip-pages-nav';
import { Stats } from './stats';
import { Timeline } from './timeline';

// The pages a source or a ban leads to ride in the SIP door's chunk: they are opened from it.
export { BanPage } from './ban';
export { SourcePage } from './source';

/** The SIP door: attacks over time, what they were, who sent them, and the bans and allowlist that answer them. */
export function SipPage() {
  useEffect(() => {
    document.title = 'SIP door · regshield';
  }, []);
  return (
    <>
      <h1>SIP door</h1>
      <SipPagesNav />
      <Timeline />
      <Stats />
      <Bans />
      <BanHistory />
      <Allowlist />
    </>
  );
}
