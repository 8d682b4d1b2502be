import { useQuery } from '@tanstack/react-query';
import { lazy, ReactNode, Suspense } from 'react';
import { Link, Redirect, Route, Switch, useRoute } from 'wouter';
import { api, dataOrThrow, totalCount, User } from '../../api/client';
import { signOut } from '../../api/session';
import { useCurrentUser } from '../../auth';
import { ErrorMessage, Loading } from '../../components/states';
import { formatTime, viewerTimeZone } from '../../format';
import { useAdminFactor } from '../account-passkeys';
import { AuditPage } from './audit';
import { InvitationsPage } from './invitations';
import { LiveIndicator, LiveProvider, useFallbackInterval, useLive } from './live';
import { PendingPage } from './pending';
import { AccountAlertsPage } from './sip/account-alerts';
import { AccountBlocksPage } from './sip/account-blocks';
import { StatusPage, useStatusReport } from './status';
import { BouncersPage } from './sip/bouncers';
import { FeedsPage } from './sip/feeds';
import { UserPage } from './user';
import { UsersPage } from './users';

/** The charts library loads with the SIP pages only. */
const SipPage = lazy(async () => ({ default: (await import('./sip')).SipPage }));
const SourcePage = lazy(async () => ({ default: (await import('./sip')).SourcePage }));
const BanPage = lazy(async () => ({ default: (await import('./sip')).BanPage }));

const SECTIONS = [
  { path: '/pending', label: 'Pending sign-ups' },
  { path: '/users', label: 'Users' },
  { path: '/invitations', label: 'Invitations' },
  { path: '/audit', label: 'Audit trail' },
  { path: '/sip', label: 'SIP door' },
  { path: '/status', label: 'Status' },
] as const;

/**
 * How many sign-ups wait for a decision, read again after every decision and every sign-up the live stream
 * announces, polled every half minute only while the stream is down; not asked while the admin routes refuse
 * this admin (ADMIN_MFA_REQUIRED), which would only log a denial each time.
 */
function usePendingCount(enabled: boolean) {
  const interval = useFallbackInterval(5 * 60_000, 30_000);
  return useQuery({
    enabled,
    queryKey: ['users', 'pending', 'count'],
    queryFn: async () => {
      const result = await api.GET('/api/admin/users/inactive', {
        params: { query: { status: 'pending', skip: 0, limit: 1 } },
      });
      dataOrThrow(result);
      return totalCount(result.response);
    },
    refetchInterval: interval,
  });
}

function NavItem({ path, label, count, problems }: { path: string; label: string; count?: number; problems?: number }) {
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
            <span className="visually-hidden">({count} waiting)</span>
          </>
        )}
        {problems !== undefined && problems > 0 && (
          <>
            {' '}
            <span className="count problem" aria-hidden="true">
              !
            </span>
            <span className="visually-hidden">
              ({problems} {problems === 1 ? 'problem' : 'problems'})
            </span>
          </>
        )}
      </Link>
    </li>
  );
}

/**
 * The console's frame for a superuser: the live stream, skip link, navigation, the signed-in admin, a footer. `base` is
 * where the console's sections are from the page shown: "" inside /admin, "~/admin" from /account.
 */
export function ConsoleFrame({ me, base, children }: { me: User; base: string; children: ReactNode }) {
  const adminFactor = useAdminFactor(me.mfa_enabled);
  const adminRoutesOpen = adminFactor.isSuccess && !adminFactor.data.blocked;
  return (
    <LiveProvider enabled={adminRoutesOpen}>
      <ConsoleLayout me={me} base={base} adminRoutesOpen={adminRoutesOpen}>
        {children}
      </ConsoleLayout>
    </LiveProvider>
  );
}

function ConsoleLayout({
  me,
  base,
  adminRoutesOpen,
  children,
}: {
  me: User;
  base: string;
  adminRoutesOpen: boolean;
  children: ReactNode;
}) {
  const pending = usePendingCount(adminRoutesOpen);
  const status = useStatusReport(adminRoutesOpen);
  // The stream's summary is the newer one, and the only one while the status route cannot answer.
  const problems = (useLive().status ?? status.data)?.problems.length;
  return (
    <div className="shell">
      <a className="skip-link" href="#content">
        Skip to content
      </a>
      <header className="topbar">
        <span className="brand">regshield</span>
        <nav aria-label="Console">
          <ul>
            {SECTIONS.map((section) => (
              <NavItem
                key={section.path}
                path={`${base}${section.path}`}
                label={section.label}
                count={section.path === '/pending' ? pending.data : undefined}
                problems={section.path === '/status' ? problems : undefined}
              />
            ))}
          </ul>
        </nav>
        <div className="who">
          <LiveIndicator />
          <Link href="~/account">{me.email}</Link>
          <button type="button" onClick={() => void signOut()}>
            Sign out
          </button>
        </div>
      </header>
      <main id="content" tabIndex={-1}>
        {children}
      </main>
      <footer className="muted">Times are shown in your time zone ({viewerTimeZone}).</footer>
    </div>
  );
}

/** The console under /admin: navigation, the signed-in admin, and the section asked for. */
export function AdminShell() {
  const me = useCurrentUser();
  const adminFactor = useAdminFactor(me.data?.mfa_enabled ?? false);
  if (me.isPending) return <Loading what="your account" />;
  if (me.isError) return <ErrorMessage error={me.error} />;
  if (!me.data.is_superuser) return <Redirect to="~/account" replace />;
  if (adminFactor.isPending) return <Loading what="your account" />;
  // ADMIN_MFA_REQUIRED: past the grace period the admin routes refuse this admin until a factor is added there.
  if (adminFactor.data?.blocked) return <Redirect to="~/account" replace />;
  return (
    <ConsoleFrame me={me.data} base="">
      {adminFactor.data && !adminFactor.data.satisfied && (
        <p role="alert" className="notice">
          Administrators need {adminFactor.data.required === 'passkey' ? 'a passkey' : 'a second factor'}: add one on{' '}
          <Link href="~/account">your account</Link> before {formatTime(adminFactor.data.grace_ends_at)}.
        </p>
      )}
      <Switch>
        <Route path="/pending" component={PendingPage} />
        <Route path="/users" component={UsersPage} />
        <Route path="/users/:id">{(params) => <UserPage key={params.id} id={params.id} />}</Route>
        <Route path="/invitations" component={InvitationsPage} />
        <Route path="/audit" component={AuditPage} />
        <Route path="/status" component={StatusPage} />
        <Route path="/sip/feeds" component={FeedsPage} />
        <Route path="/sip/bouncers" component={BouncersPage} />
        <Route path="/sip/account-alerts" component={AccountAlertsPage} />
        <Route path="/sip/account-blocks" component={AccountBlocksPage} />
        <Route path="/sip">
          <Suspense fallback={<Loading what="the SIP door" />}>
            <SipPage />
          </Suspense>
        </Route>
        <Route path="/sip/sources/:ip">
          {(params) => (
            <Suspense fallback={<Loading what="the source" />}>
              <SourcePage key={params.ip} ip={params.ip} />
            </Suspense>
          )}
        </Route>
        <Route path="/sip/bans/:id">
          {(params) => (
            <Suspense fallback={<Loading what="the ban" />}>
              <BanPage key={params.id} id={params.id} />
            </Suspense>
          )}
        </Route>
        <Route path="/">
          <Redirect to="/pending" replace />
        </Route>
        <Route>
          <h1>Page not found</h1>
          <p>There is no console page at this address.</p>
        </Route>
      </Switch>
    </ConsoleFrame>
  );
}
