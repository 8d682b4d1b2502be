import { Link, useRoute } from 'wouter';
import { useUnresolvedAlertCount } from './account-alerts';

const SIP_PAGES = [
  { path: '/sip', label: 'Attacks and bans' },
  { path: '/sip/account-alerts', label: 'Account alerts' },
  { path: '/sip/account-blocks', label: 'Account blocks' },
  { path: '/sip/feeds', label: 'Feeds' },
  { path: '/sip/bouncers', label: 'Bouncer keys' },
] as const;

function SipPageLink({ path, label, count }: { path: string; label: string; count?: number }) {
  const [active] = useRoute(path);
  return (
    <li>
      <Link href={path} aria-current={active ? 'page' : undefined}>
        {label}
        {count !== undefined && count > 0 && (
          <>
            {' '}
            <span className="count" aria-hidden="true">
              {count}
            </span>
            <span className="visually-hidden">({count} unresolved)</span>
          </>
        )}
      </Link>
    </li>
  );
}

/**
 * The SIP door's pages, under its one entry of the console's navigation so that the top bar stays short.
 * Account alerts carry how many await an admin, seen from every SIP page.
 */
export function SipPagesNav() {
  const unresolved = useUnresolvedAlertCount();
  return (
    <nav aria-label="SIP door pages" className="subnav">
      <ul>
        {SIP_PAGES.map((page) => (
          <SipPageLink
            key={page.path}
            path={page.path}
            label={page.label}
            count={page.path === '/sip/account-alerts' ? unresolved.data : undefined}
          />
        ))}
      </ul>
    </nav>
  );
}
