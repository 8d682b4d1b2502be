import { useQueryClient } from '@tanstack/react-query';
import { FormEvent, useEffect, useState } from 'react';
import { Link, useLocation, useSearch } from 'wouter';
import { api, errorMessages, messagesByField } from '../api/client';
import { REFRESH_COOKIE_HEADER, startSession } from '../api/session';
import { returnPath } from '../auth';
import { Field, FormErrors } from '../components/field';

const FIELDS = ['email', 'password'] as const;

/** What each refusal of the login route means, in words for the person signing in. */
function loginRefusal(status: number, messages: string[], retryAfter: string | null): string[] {
  if (status === 401) return ['Incorrect email or password.'];
  if (status === 403) {
    return ['This account is not active. An administrator has to approve it (or switch it back on) first.'];
  }
  if (status === 429) {
    return [`Too many sign-in attempts from this address. Try again in ${retryAfter ?? 'a few'} seconds.`];
  }
  return messages;
}

export function LoginPage() {
  const [, navigate] = useLocation();
  const search = useSearch();
  const queryClient = useQueryClient();
  const [email, setEmail] = useState('');
  const [password, setPassword] = useState('');
  const [submitting, setSubmitting] = useState(false);
  const [fieldErrors, setFieldErrors] = useState<Partial<Record<(typeof FIELDS)[number], string[]>>>({});
  const [formErrors, setFormErrors] = useState<string[]>([]);

  useEffect(() => {
    document.title = 'Sign in · regshield';
  }, []);

  const submit = async (event: FormEvent) => {
    event.preventDefault();
    setSubmitting(true);
    setFieldErrors({});
    setFormErrors([]);
    try {
      const { data, error, response } = await api.POST('/api/auth/login', {
        body: { email, password },
        headers: REFRESH_COOKIE_HEADER,
        credentials: 'same-origin',
      });
      if (data) {
        startSession(data.access_token);
        queryClient.clear();
        navigate(returnPath(search, '/admin'), { replace: true });
        return;
      }
      const messages = errorMessages(error, `Sign-in failed (${response.status}).`);
      if (response.status === 422) {
        const split = messagesByField(messages, FIELDS);
        setFieldErrors(split.fields);
        setFormErrors(split.other);
      } else {
        setFormErrors(loginRefusal(response.status, messages, response.headers.get('Retry-After')));
      }
    } catch {
      setFormErrors(['The service cannot be reached. Check your connection and try again.']);
    } finally {
      setSubmitting(false);
    }
  };

  return (
    <main className="narrow">
      <h1>Sign in</h1>
      <form onSubmit={(event) => void submit(event)} noValidate>
        <FormErrors messages={formErrors} />
        <Field
          label="Email"
          type="email"
          name="email"
          autoComplete="username"
          required
          value={email}
          onChange={(e) => setEmail(e.target.value)}
          errors={fieldErrors.email}
        />
        <Field
          label="Password"
          type="password"
          name="password"
          autoComplete="current-password"
          required
          value={password}
          onChange={(e) => setPassword(e.target.value)}
          errors={fieldErrors.password}
        />
        <button type="submit" className="primary" disabled={submitting}>
          {submitting ? 'Signing in…' : 'Sign in'}
        </button>
      </form>
      <p>
        No account yet? <Link href="/register">Create one</Link>.
      </p>
    </main>
  );
}
