import { Link, useRoute } from 'wouter';

const SIP_PAGES = [
  { path: '/sip', label: 'Attacks and bans' },
  { path: '/sip/feeds', label: 'Feeds' },
  { path: '/sip/bouncers', label: 'Bouncer keys' },
] as const;

function SipPageLink({ path, label }: { path: string; label: string }) {
  const [active] = useRoute(path);
  return (
    <li>
      <Link href={path} aria-current={active ? 'page' : undefined}>
        {label}
      </Link>
    </li>
  );
}

/** The SIP door's pages, under its one entry of the console's navigation so that the top bar stays short. */
export function SipPagesNav() {
  return (
    <nav aria-label="SIP door pages" className="subnav">
      <ul>
        {SIP_PAGES.map((page) => (
          <SipPageLink key={page.path} path={page.path} label={page.label} />
        ))}
      </ul>
    </nav>
  );
}
