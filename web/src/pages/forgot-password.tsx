import { FormEvent, useEffect, useState } from 'react';
import { Link } from 'wouter';
import { api, errorMessages, messagesByField } from '../api/client';
import { CaptchaStatus, useCaptcha } from '../components/captcha';
import { Field, FormErrors } from '../components/field';

/**
 * Asks for a reset link. The answer is the same whatever the address (the API does not say whether an account
 * has it), so the page says the same too.
 */
export function ForgotPasswordPage() {
  const [email, setEmail] = useState('');
  const [submitting, setSubmitting] = useState(false);
  const [emailErrors, setEmailErrors] = useState<string[]>([]);
  const [formErrors, setFormErrors] = useState<string[]>([]);
  const [sent, setSent] = useState(false);
  const captcha = useCaptcha();
  const captchaPending = captcha.state.status === 'checking' || captcha.state.status === 'solving';

  useEffect(() => {
    document.title = 'Forgotten password · regshield';
  }, []);

  const submit = async (event: FormEvent) => {
    event.preventDefault();
    setSubmitting(true);
    setEmailErrors([]);
    setFormErrors([]);
    try {
      const { error, response } = await api.POST('/api/auth/password/forgot', {
        body: { email: email.trim(), captcha: captcha.state.payload },
      });
      if (response.ok) {
        setSent(true);
        return;
      }
      // With CAPTCHA=altcha the service spent the payload whatever it answered.
      captcha.renew();
      const messages = errorMessages(error, `The request failed (${response.status}).`);
      if (response.status === 422) {
        const split = messagesByField(messages, ['email'] as const);
        setEmailErrors(split.fields.email ?? []);
        setFormErrors(split.other);
      } else if (response.status === 429) {
        setFormErrors([
          `Too many requests for a reset link. Try again in ${response.headers.get('Retry-After') ?? 'a few'} seconds.`,
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
          errors={emailErrors}
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
