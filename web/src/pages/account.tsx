import { useEffect } from 'react';
import { Link } from 'wouter';
import { signOut } from '../api/session';
import { useCurrentUser } from '../auth';
import { ErrorMessage, Loading } from '../components/states';
import { formatTime } from '../format';
import { DevicesSection } from './account-devices';
import { AdminFactorNotice, PasskeysSection } from './account-passkeys';
import { PasswordSection } from './account-password';
import { SecondFactorSection } from './account-second-factor';
import { SessionsSection } from './account-sessions';

/**
 * The signed-in user's own page: who they are, where they are signed in and from which devices, their
 * passkeys, password and second factor.
 */
export function AccountPage() {
  const me = useCurrentUser();
  useEffect(() => {
    document.title = 'Your account · regshield';
  }, []);
  return (
    <div className="account">
      <h1>Your account</h1>
      {me.data?.is_superuser && <AdminFactorNotice mfaEnabled={me.data.mfa_enabled} />}
      {me.isPending && <Loading what="your account" />}
      {me.isError && <ErrorMessage error={me.error} />}
      {me.data && (
        <section className="card" aria-label="Who you are">
          <dl className="facts">
            <dt>Email</dt>
            <dd>
              {me.data.email} {me.data.email_verified ? '' : '(not confirmed yet)'}
            </dd>
            <dt>Name</dt>
            <dd>{me.data.full_name}</dd>
            <dt>Role</dt>
            <dd>{me.data.is_superuser ? 'Administrator' : 'User'}</dd>
            <dt>Member since</dt>
            <dd>{formatTime(me.data.created_at)}</dd>
            <dt>Last sign-in</dt>
            <dd>{formatTime(me.data.last_login_at)}</dd>
          </dl>
          <p className="filter-buttons">
            {me.data.is_superuser && <Link href="/admin">Admin console</Link>}
            <button type="button" onClick={() => void signOut()}>
              Sign out
            </button>
          </p>
        </section>
      )}
      {me.data && <SessionsSection />}
      {me.data && <DevicesSection />}
      {me.data && <PasskeysSection />}
      {me.data && <PasswordSection />}
      {me.data && <SecondFactorSection user={me.data} />}
    </div>
  );
}
