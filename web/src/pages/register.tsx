import { FormEvent, useEffect, useState } from 'react';
import { Link } from 'wouter';
import { api, User } from '../api/client';
import { useApiForm } from '../api/use-api-form';
import { CaptchaStatus, useCaptcha } from '../components/captcha';
import { Field, FormErrors } from '../components/field';
import { PasswordRules } from '../components/password-rules';

const FIELDS = ['email', 'full_name', 'password'] as const;
type FieldName = (typeof FIELDS)[number];

export function RegisterPage() {
  const [values, setValues] = useState<Record<FieldName, string>>({ email: '', full_name: '', password: '' });
  const { submitting, fieldErrors, formErrors, send } = useApiForm(FIELDS);
  const [created, setCreated] = useState<User | null>(null);
  const captcha = useCaptcha();
  const captchaPending = captcha.state.status === 'checking' || captcha.state.status === 'solving';

  useEffect(() => {
    document.title = 'Create an account · regshield';
  }, []);

  const set = (name: FieldName) => (event: { target: { value: string } }) =>
    setValues((previous) => ({ ...previous, [name]: event.target.value }));

  const submit = async (event: FormEvent) => {
    event.preventDefault();
    const sent = await send(
      () => api.POST('/api/auth/register', { body: { ...values, captcha: captcha.state.payload } }),
      {
        failed: 'Sign-up failed',
        tooMany: 'Too many sign-ups from this address',
        // The service spent the payload even when it refused another field.
        onRefused: () => captcha.renew(),
        byStatus: { 409: () => ({ fields: { email: ['An account with this email already exists.'] } }) },
      },
    );
    if (sent?.data) setCreated(sent.data);
  };

  if (created) {
    return (
      <main className="narrow">
        <h1>Account created</h1>
        <p role="status">
          {created.is_active
            ? 'Your account is ready.'
            : 'An administrator will review your sign-up; you can sign in once it is approved.'}
        </p>
        <p>
          <Link href="/login">Sign in</Link>
        </p>
      </main>
    );
  }

  return (
    <main className="narrow">
      <h1>Create an account</h1>
      <form onSubmit={(event) => void submit(event)} noValidate>
        <FormErrors messages={formErrors} />
        <Field
          label="Email"
          type="email"
          name="email"
          autoComplete="email"
          required
          value={values.email}
          onChange={set('email')}
          errors={fieldErrors.email}
        />
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
        <CaptchaStatus captcha={captcha} />
        <button type="submit" className="primary" disabled={submitting || captchaPending}>
          {submitting ? 'Creating…' : 'Create account'}
        </button>
      </form>
      <p>
        Already have an account? <Link href="/login">Sign in</Link>.
      </p>
    </main>
  );
}
