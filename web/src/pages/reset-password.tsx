import { FormEvent, useEffect, useState } from 'react';
import { Link, useLocation, useSearch } from 'wouter';
import { api } from '../api/client';
import { useApiForm } from '../api/use-api-form';
import { Field, FormErrors } from '../components/field';
import { PasswordRules } from '../components/password-rules';

/** A link that cannot be used (unknown, spent or expired token), with the way to ask for a new one. */
export function LinkNotValid({ what }: { what: string }) {
  return (
    <div role="alert" className="alert">
      <p>
        This {what} link is invalid or has expired. Links work once and for a limited time; a newer one replaces the
        older ones.
      </p>
    </div>
  );
}

/** `/reset-password?token=…`, the page the reset e-mail links to: a new password, then sign in with it. */
export function ResetPasswordPage() {
  const [, navigate] = useLocation();
  const token = new URLSearchParams(useSearch()).get('token') ?? '';
  const [password, setPassword] = useState('');
  const { submitting, fieldErrors, formErrors, send } = useApiForm(['new_password', 'token'] as const);
  const [refusedLink, setRefusedLink] = useState(false);

  useEffect(() => {
    document.title = 'Choose a new password · regshield';
  }, []);

  const linkInvalid = token === '' || refusedLink || fieldErrors.token !== undefined;

  const submit = async (event: FormEvent) => {
    event.preventDefault();
    const done = await send(() => api.POST('/api/auth/password/reset', { body: { token, new_password: password } }), {
      failed: 'The request failed',
      byStatus: {
        400: () => {
          setRefusedLink(true);
          return {};
        },
      },
    });
    if (done) navigate('/login?notice=password-reset', { replace: true });
  };

  return (
    <main className="narrow">
      <h1>Choose a new password</h1>
      {linkInvalid ? (
        <>
          <LinkNotValid what="password reset" />
          <p>
            <Link href="/forgot-password">Ask for a new link</Link>
          </p>
        </>
      ) : (
        <form onSubmit={(event) => void submit(event)} noValidate>
          <FormErrors messages={formErrors} />
          <Field
            label="New password"
            type="password"
            name="new_password"
            autoComplete="new-password"
            required
            value={password}
            onChange={(e) => setPassword(e.target.value)}
            errors={fieldErrors.new_password}
            hint={<PasswordRules password={password} />}
          />
          <button type="submit" className="primary" disabled={submitting}>
            {submitting ? 'Saving…' : 'Set the new password'}
          </button>
        </form>
      )}
      <p>
        <Link href="/login">Back to sign in</Link>
      </p>
    </main>
  );
}
