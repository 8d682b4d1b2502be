import { startAuthentication } from '@simplewebauthn/browser';
import { useQueryClient } from '@tanstack/react-query';
import { FormEvent, useEffect, useState } from 'react';
import { Link, useLocation, useSearch } from 'wouter';
import { api, errorMessages, messagesByField } from '../api/client';
import { credentialBody } from '../api/passkeys';
import { REFRESH_COOKIE_HEADER, startSession } from '../api/session';
import { returnPath } from '../return-path';
import { Field, FormErrors } from '../components/field';

const FIELDS = ['email', 'password', 'otp'] as const;
type FieldName = (typeof FIELDS)[number];

/** What the login route answers for a wrong or spent second-factor code. */
const INVALID_SECOND_FACTOR = 'Invalid second factor';

/** Notices other pages send the user here with (`/login?notice=…`). */
const NOTICES = new Map([['password-reset', 'Your password has been changed. Sign in with the new one.']]);

/** What each refusal of the login route means, in words for the person signing in. */
function loginRefusal(status: number, messages: string[], retryAfter: string | null): string[] {
  if (status === 401) return ['Incorrect email or password.'];
  if (status === 403 && messages.includes('Email not verified')) {
    return ['Confirm your email address first: follow the link in the email sent to it when you signed up.'];
  }
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
  /** Set once the password was right and the account asks for its second factor. */
  const [askingCode, setAskingCode] = useState(false);
  const [otp, setOtp] = useState('');
  const [submitting, setSubmitting] = useState(false);
  const [fieldErrors, setFieldErrors] = useState<Partial<Record<FieldName, string[]>>>({});
  const [formErrors, setFormErrors] = useState<string[]>([]);

  useEffect(() => {
    document.title = 'Sign in · regshield';
  }, []);

  const signedIn = (accessToken: string) => {
    startSession(accessToken);
    queryClient.clear();
    navigate(returnPath(search, '/admin'), { replace: true });
  };

  /** A passkey sign-in: the browser offers the passkeys it holds for this site; no e-mail is typed. */
  const signInWithPasskey = async () => {
    setSubmitting(true);
    setFieldErrors({});
    setFormErrors([]);
    try {
      const options = await api.POST('/api/auth/passkeys/login/options');
      if (!options.data) {
        const messages = errorMessages(options.error, `Sign-in failed (${options.response.status}).`);
        setFormErrors(loginRefusal(options.response.status, messages, options.response.headers.get('Retry-After')));
        return;
      }
      let credential;
      try {
        credential = credentialBody(await startAuthentication({ optionsJSON: options.data }));
      } catch {
        setFormErrors([
          'No passkey was used: the request was cancelled, timed out, or this device has none for this site.',
        ]);
        return;
      }
      const { data, error, response } = await api.POST('/api/auth/passkeys/login/verify', {
        body: { credential },
        headers: REFRESH_COOKIE_HEADER,
        credentials: 'same-origin',
      });
      if (data) {
        signedIn(data.access_token);
        return;
      }
      const messages = errorMessages(error, `Sign-in failed (${response.status}).`);
      setFormErrors(
        response.status === 401
          ? ['This passkey was not accepted. It may have been removed from your account; sign in with your password.']
          : loginRefusal(response.status, messages, response.headers.get('Retry-After')),
      );
    } catch {
      setFormErrors(['The service cannot be reached. Check your connection and try again.']);
    } finally {
      setSubmitting(false);
    }
  };

  const submit = async (event: FormEvent) => {
    event.preventDefault();
    setSubmitting(true);
    setFieldErrors({});
    setFormErrors([]);
    try {
      const { data, error, response } = await api.POST('/api/auth/login', {
        body: askingCode ? { email, password, otp: otp.trim() } : { email, password },
        headers: REFRESH_COOKIE_HEADER,
        credentials: 'same-origin',
      });
      if (data) {
        signedIn(data.access_token);
        return;
      }
      const messages = errorMessages(error, `Sign-in failed (${response.status}).`);
      if (response.status === 401 && error?.mfa_required) {
        setAskingCode(true);
      } else if (response.status === 401 && askingCode && messages.includes(INVALID_SECOND_FACTOR)) {
        setFieldErrors({ otp: ['Invalid second factor: this code is wrong, expired or already used.'] });
        setOtp('');
      } else if (response.status === 422) {
        const split = messagesByField(messages, FIELDS);
        setFieldErrors(split.fields);
        setFormErrors(split.other);
      } else {
        // Any other refusal (the password changed meanwhile, a lockout) starts again from the password.
        if (response.status === 401) setAskingCode(false);
        setFormErrors(loginRefusal(response.status, messages, response.headers.get('Retry-After')));
      }
    } catch {
      setFormErrors(['The service cannot be reached. Check your connection and try again.']);
    } finally {
      setSubmitting(false);
    }
  };

  const startOver = () => {
    setAskingCode(false);
    setOtp('');
    setPassword('');
    setFieldErrors({});
    setFormErrors([]);
  };

  const notice = NOTICES.get(new URLSearchParams(search).get('notice') ?? '');

  if (askingCode) {
    return (
      <main className="narrow">
        <h1>Sign in</h1>
        <form onSubmit={(event) => void submit(event)} noValidate>
          <FormErrors messages={formErrors} />
          <p>
            <strong>{email}</strong> has a second factor.
          </p>
          <Field
            label="Authentication code"
            name="otp"
            autoComplete="one-time-code"
            autoFocus
            required
            value={otp}
            onChange={(e) => setOtp(e.target.value)}
            errors={fieldErrors.otp}
            hint="The 6-digit code your authenticator app shows now, or one of your recovery codes."
          />
          <button type="submit" className="primary" disabled={submitting}>
            {submitting ? 'Signing in…' : 'Sign in'}
          </button>
        </form>
        <p>
          <button type="button" className="link" onClick={startOver}>
            Use another account
          </button>
        </p>
      </main>
    );
  }

  return (
    <main className="narrow">
      <h1>Sign in</h1>
      {notice && (
        <p role="status" className="notice">
          {notice}
        </p>
      )}
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
        <button type="button" disabled={submitting} onClick={() => void signInWithPasskey()}>
          Sign in with a passkey
        </button>
      </p>
      <p>
        <Link href="/forgot-password">Forgot your password?</Link>
      </p>
      <p>
        No account yet? <Link href="/register">Create one</Link>.
      </p>
    </main>
  );
}
