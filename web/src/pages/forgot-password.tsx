import { FormEvent, useEffect, useState } from 'react';
import { Link } from 'wouter';
import { api } from '../api/client';
import { useApiForm } from '../api/use-api-form';
import { CaptchaStatus, useCaptcha } from '../components/captcha';
import { Field, FormErrors } from '../components/field';

/**
 * Asks for a reset link. The answer is the same whatever the address (the API does not say whether an account
 * has it), so the page says the same too.
 */
export function ForgotPasswordPage() {
  const [email, setEmail] = useState('');
  const { submitting, fieldErrors, formErrors, send } = useApiForm(['email'] as const);
  const [sent, setSent] = useState(false);
  const captcha = useCaptcha();
  const captchaPending = captcha.state.status === 'checking' || captcha.state.status === 'solving';

  useEffect(() => {
    document.title = 'Forgotten password · regshield';
  }, []);

  const submit = async (event: FormEvent) => {
    event.preventDefault();
    const done = await send(
      () => api.POST('/api/auth/password/forgot', { body: { email: email.trim(), captcha: captcha.state.payload } }),
      {
        failed: 'The request failed',
        tooMany: 'Too many requests for a reset link',
        // With CAPTCHA=altcha the service spent the payload whatever it answered.
        onRefused: () => captcha.renew(),
      },
    );
    if (done) setSent(true);
  };

  if (sent) {
    return (
      <main className="narrow">
        <h1>Check your email</h1>
        <p role="status">
          If an account uses <strong>{email.trim()}</strong>, a link to choose a new password is on its way to it. The
          link works once and for a limited time; if nothing arrives, look in the spam folder or ask again.
        </p>
        <p>
          <Link href="/login">Back to sign in</Link>
        </p>
      </main>
    );
  }

  return (
    <main className="narrow">
      <h1>Forgotten password</h1>
      <p>Give the email address of your account: we send it a link to choose a new password.</p>
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
        <CaptchaStatus captcha={captcha} />
        <button type="submit" className="primary" disabled={submitting || captchaPending}>
          {submitting ? 'Sending…' : 'Send the link'}
        </button>
      </form>
      <p>
        <Link href="/login">Back to sign in</Link>
      </p>
    </main>
  );
}
