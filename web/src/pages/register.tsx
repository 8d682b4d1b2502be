import { FormEvent, useEffect, useState } from 'react';
import { Link } from 'wouter';
import { api, errorMessages, messagesByField, User } from '../api/client';
import { CaptchaStatus, useCaptcha } from '../components/captcha';
import { Field, FormErrors } from '../components/field';
import { PasswordRules } from '../components/password-rules';

const FIELDS = ['email', 'full_name', 'password'] as const;
type FieldName = (typeof FIELDS)[number];

export function RegisterPage() {
  const [values, setValues] = useState<Record<FieldName, string>>({ email: '', full_name: '', password: '' });
  const [submitting, setSubmitting] = useState(false);
  const [fieldErrors, setFieldErrors] = useState<Partial<Record<FieldName, string[]>>>({});
  const [formErrors, setFormErrors] = useState<string[]>([]);
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
    setSubmitting(true);
    setFieldErrors({});
    setFormErrors([]);
    try {
      const { data, error, response } = await api.POST('/api/auth/register', {
        body: { ...values, captcha: captcha.state.payload },
      });
      if (data) {
        setCreated(data);
        return;
      }
      // The service spent the payload even when it refused another field.
      captcha.renew();
      const messages = errorMessages(error, `Sign-up failed (${response.status}).`);
      if (response.status === 409) {
        setFieldErrors({ email: ['An account with this email already exists.'] });
      } else if (response.status === 422) {
        const split = messagesByField(messages, FIELDS);
        setFieldErrors(split.fields);
        setFormErrors(split.other);
      } else if (response.status === 429) {
        setFormErrors([
          `Too many sign-ups from this address. Try again in ${response.headers.get('Retry-After') ?? 'a few'} seconds.`,
        ]);
      } else {
        setFormErrors(messages);
      }
    } catch {
      setFormErrors(['The service cannot be reached. Check your connection and try again.']);
    } finally {
      setSubmitting(false);
    }
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
