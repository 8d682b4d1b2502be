import { useEffect } from 'react';
import { Link } from 'wouter';
import { signOut } from '../api/session';
import { useCurrentUser } from '../auth';
import { ErrorMessage, Loading } from '../components/states';
import { formatTime } from '../format';

/** The signed-in user's own page. */
export function AccountPage() {
  const me = useCurrentUser();
  useEffect(() => {
    document.title = 'Your account · regshield';
  }, []);
  return (
    <main className="narrow">
      <h1>Your account</h1>
      {me.isPending && <Loading what="your account" />}
      {me.isError && <ErrorMessage error={me.error} />}
      {me.data && (
        <dl className="facts">
          <dt>Email</dt>
          <dd>{me.data.email}</dd>
          <dt>Name</dt>
          <dd>{me.data.full_name}</dd>
          <dt>Role</dt>
          <dd>{me.data.is_superuser ? 'Administrator' : 'User'}</dd>
          <dt>Member since</dt>
          <dd>{formatTime(me.data.created_at)}</dd>
          <dt>Last sign-in</dt>
          <dd>{formatTime(me.data.last_login_at)}</dd>
        </dl>
      )}
      {me.data?.is_superuser && (
        <p>
          <Link href="/admin">Admin console</Link>
        </p>
      )}
      <button type="button" onClick={() => void signOut()}>
        Sign out
      </button>
    </main>
  );
}
