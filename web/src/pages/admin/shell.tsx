import { lazy, Suspense } from 'react';
import { Link, Redirect, Route, Switch, useRoute } from 'wouter';
import { signOut } from '../../api/session';
import { useCurrentUser } from '../../auth';
import { ErrorMessage, Loading } from '../../components/states';
import { formatTime, viewerTimeZone } from '../../format';
import { useAdminFactor } from '../account-passkeys';
import { AuditPage } from './audit';
import { InvitationsPage } from './invitations';
import { PendingPage } from './pending';
import { UserPage } from './user';
import { UsersPage } from './users';

/** The charts library loads with the SIP page only. */
const SipPage = lazy(async () => ({ default: (await import('./sip')).SipPage }));

const SECTIONS = [
  { path: '/pending', label: 'Pending sign-ups' },
  { path: '/users', label: 'Users' },
  { path: '/invitations', label: 'Invitations' },
  { path: '/audit', label: 'Audit trail' },
  { path: '/sip', label: 'SIP door' },
] as const;

function NavItem({ path, label }: { path: string; label: string }) {
  const [active] = useRoute(path);
  return (
    <li>
      <Link href={path} aria-current={active ? 'page' : undefined}>
        {label}
      </Link>
    </li>
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
    <div className="shell">
      <a className="skip-link" href="#content">
        Skip to content
      </a>
      <header className="topbar">
        <span className="brand">regshield</span>
        <nav aria-label="Console">
          <ul>
            {SECTIONS.map((section) => (
              <NavItem key={section.path} {...section} />
            ))}
          </ul>
        </nav>
        <div className="who">
          <Link href="~/account">{me.data.email}</Link>
          <button type="button" onClick={() => void signOut()}>
            Sign out
          </button>
        </div>
      </header>
      <main id="content" tabIndex={-1}>
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
          <Route path="/sip">
            <Suspense fallback={<Loading what="the SIP door" />}>
              <SipPage />
            </Suspense>
          </Route>
          <Route path="/">
            <Redirect to="/pending" replace />
          </Route>
          <Route>
            <h1>Page not found</h1>
            <p>There is no console page at this address.</p>
          </Route>
        </Switch>
      </main>
      <footer className="muted">Times are shown in your time zone ({viewerTimeZone}).</footer>
    </div>
  );
}
