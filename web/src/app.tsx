import { Redirect, Route, Switch } from 'wouter';
import { RequireSession, useSessionEndRedirect } from './auth';
import { AdminShell } from './pages/admin/shell';
import { AccountPage } from './pages/account';
import { LoginPage } from './pages/login';
import { NotFoundPage } from './pages/not-found';
import { RegisterPage } from './pages/register';

export function App() {
  useSessionEndRedirect();
  return (
    <Switch>
      <Route path="/login" component={LoginPage} />
      <Route path="/register" component={RegisterPage} />
      <Route path="/account">
        <RequireSession>
          <AccountPage />
        </RequireSession>
      </Route>
      <Route path="/admin" nest>
        <RequireSession>
          <AdminShell />
        </RequireSession>
      </Route>
      <Route path="/">
        <Redirect to="/admin" replace />
      </Route>
      <Route component={NotFoundPage} />
    </Switch>
  );
}
