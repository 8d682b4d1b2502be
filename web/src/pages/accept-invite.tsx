import { FormEvent, useEffect, useState } from 'react';
import { Link, useSearch } from 'wouter';
import { api, User } from '../api/client';
import { useApiForm } from '../api/use-api-form';
import { Field, FormErrors } from '../components/field';
import { PasswordRules } from '../components/password-rules';
import { LinkNotValid } from './reset-password';

const FIELDS = ['full_name', 'password', 'token'] as const;
type FieldName = 'full_name' | 'password';

/** `/accept-invite?token=…`, the page the invitation e-mail links to: a name and a password, then sign in. */
export function AcceptInvitePage() {
  const token = new URLSearchParams(useSearch()).get('token') ?? '';
  const [values, setValues] = useState<Record<FieldName, string>>({ full_name: '', password: '' });
  const { submitting, fieldErrors, formErrors, send } = useApiForm(FIELDS);
  const [refusedLink, setRefusedLink] = useState(false);
  const [created, setCreated] = useState<User | null>(null);

  useEffect(() => {
    document.title = 'Accept your invitation · regshield';
  }, []);

  const set = (name: FieldName) => (event: { target: { value: string } }) =>
    setValues((previous) => ({ ...previous, [name]: event.target.value }));

  const linkInvalid = token === '' || refusedLink || fieldErrors.token !== undefined;

  const submit = async (event: FormEvent) => {
    event.preventDefault();
    const sent = await send(() => api.POST('/api/auth/invitations/accept', { body: { token, ...values } }), {
      failed: 'The request failed',
      tooMany: 'Too many attempts from this address',
      byStatus: {
        400: () => {
          setRefusedLink(true);
          return {};
        },
        409: () => ({ form: ['An account with this e-mail address already exists: sign in, or reset its password.'] }),
      },
    });
    if (sent?.data) setCreated(sent.data);
  };

  if (created) {
    return (
      <main className="narrow">
        <h1>Your account is ready</h1>
        <p role="status">
          The account {created.email} is active{created.is_superuser ? ', with administrator rights' : ''}.
        </p>
        <p>
          <Link href="/login">Sign in</Link>
        </p>
      </main>
    );
  }

  return (
    <main className="narrow">
      <h1>Accept your invitation</h1>
      {linkInvalid ? (
        <>
          <LinkNotValid what="invitation" />
          <p>Ask the administrator who invited you for a new invitation.</p>
        </>
      ) : (
        <form onSubmit={(event) => void submit(event)} noValidate>
          <p>Choose the name and the password of your new account.</p>
          <FormErrors messages={formErrors} />
          <Field
            label="Full name"
            name="full_name"
            autoComplete="name"
            required
            value={values.full_name}
            onChange={set('full_name')}
            errors={fieldErrors.full_name}
          />
          <Field
            label="Password"
            type="password"
            name="password"
            autoComplete="new-password"
            required
            value={values.password}
            onChange={set('password')}
            errors={fieldErrors.password}
            hint={<PasswordRules password={values.password} />}
          />
          <button type="submit" className="primary" disabled={submitting}>
            {submitting ? 'Creating…' : 'Create my account'}
          </button>
        </form>
      )}
      <p>
        <Link href="/login">Sign in</Link>
      </p>
    </main>
  );
}
