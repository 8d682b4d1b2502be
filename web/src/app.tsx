import { lazy, Suspense } from 'react';
import { Redirect, Route, Switch } from 'wouter';
import { RequireSession, useCurrentUser, useSessionEndRedirect } from './auth';
import { Loading } from './components/states';
import { AcceptInvitePage } from './pages/accept-invite';
import { AccountPage } from './pages/account';
import { ForgotPasswordPage } from './pages/forgot-password';
import { LoginPage } from './pages/login';
import { NotFoundPage } from './pages/not-found';
import { RegisterPage } from './pages/register';
import { ResetPasswordPage } from './pages/reset-password';
import { VerifyEmailPage } from './pages/verify-email';

/** The console is a chunk of its own: the sign-in and sign-up pages load without it. */
const AdminShell = lazy(async () => ({ default: (await import('./pages/admin/shell')).AdminShell }));
const ConsoleFrame = lazy(async () => ({ default: (await import('./pages/admin/shell')).ConsoleFrame }));

/** A superuser's own page sits in the console's frame, with its navigation; anyone else's stands alone. */
function AccountRoute() {
  const me = useCurrentUser();
  if (me.data?.is_superuser) {
    return (
      <Suspense fallback={<Loading what="the console" />}>
        <ConsoleFrame me={me.data} base="~/admin">
          <AccountPage />
        </ConsoleFrame>
      </Suspense>
    );
  }
  return (
    <main id="content" className="account">
      <AccountPage />
    </main>
  );
}

export function App() {
  useSessionEndRedirect();
  return (
    <Switch>
      <Route path="/login" component={LoginPage} />
      <Route path="/register" component={RegisterPage} />
      <Route path="/forgot-password" component={ForgotPasswordPage} />
      <Route path="/reset-password" component={ResetPasswordPage} />
      <Route path="/verify-email" component={VerifyEmailPage} />
      <Route path="/accept-invite" component={AcceptInvitePage} />
      <Route path="/account">
        <RequireSession>
          <AccountRoute />
        </RequireSession>
      </Route>
      <Route path="/admin" nest>
        <RequireSession>
          <Suspense fallback={<Loading what="the console" />}>
            <AdminShell />
          </Suspense>
        </RequireSession>
      </Route>
      <Route path="/">
        <Redirect to="/admin" replace />
      </Route>
      <Route component={NotFoundPage} />
    </Switch>
  );
}
