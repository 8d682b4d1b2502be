import { useQueryClient } from '@tanstack/react-query';
import { FormEvent, useState } from 'react';
import { api, errorMessages, messagesByField, Schemas, User } from '../api/client';
import { ME_QUERY_KEY } from '../auth';
import { Field, FormErrors } from '../components/field';

type Setup = Schemas['TotpSetupResponseDto'];

const UNREACHABLE = 'The service cannot be reached. Check your connection and try again.';

/** The QR code as an image: the page's CSP allows `data:` images, and an <img> runs nothing in the SVG. */
function qrImageSource(svg: string): string {
  return `data:image/svg+xml;charset=utf-8,${encodeURIComponent(svg)}`;
}

/** Turns the second factor (TOTP) on, showing the recovery codes once, or off with the password and a code. */
export function SecondFactorSection({ user }: { user: User }) {
  const queryClient = useQueryClient();
  const [setup, setSetup] = useState<Setup | null>(null);
  const [recoveryCodes, setRecoveryCodes] = useState<string[] | null>(null);
  const [password, setPassword] = useState('');
  const [code, setCode] = useState('');
  const [busy, setBusy] = useState(false);
  const [fieldErrors, setFieldErrors] = useState<Partial<Record<'password' | 'code', string[]>>>({});
  const [formErrors, setFormErrors] = useState<string[]>([]);
  const [notice, setNotice] = useState('');

  const reset = () => {
    setPassword('');
    setCode('');
    setFieldErrors({});
    setFormErrors([]);
  };

  /** Runs one call of the section, showing its refusal in words: 422s beside their fields. */
  const call = async (request: () => Promise<{ error?: unknown; response: Response }>, onDone: () => void) => {
    setBusy(true);
    setFieldErrors({});
    setFormErrors([]);
    setNotice('');
    try {
      const { error, response } = await request();
      if (response.ok) {
        onDone();
        return;
      }
      const messages = errorMessages(error as Schemas['ErrorResponseDto'] | undefined, `Failed (${response.status}).`);
      const split = messagesByField(messages, ['password', 'code'] as const);
      setFieldErrors(split.fields);
      setFormErrors(split.other);
    } catch {
      setFormErrors([UNREACHABLE]);
    } finally {
      setBusy(false);
    }
  };

  const startSetup = () =>
    call(
      async () => {
        const result = await api.POST('/api/auth/mfa/totp/setup');
        if (result.data) setSetup(result.data);
        return result;
      },
      () => reset(),
    );

  const enable = (event: FormEvent) => {
    event.preventDefault();
    void call(
      async () => {
        const result = await api.POST('/api/auth/mfa/totp/enable', { body: { code: code.trim() } });
        if (result.data) setRecoveryCodes(result.data.recovery_codes);
        return result;
      },
      () => {
        setSetup(null);
        reset();
        void queryClient.invalidateQueries({ queryKey: ME_QUERY_KEY });
      },
    );
  };

  const disable = (event: FormEvent) => {
    event.preventDefault();
    void call(
      () => api.POST('/api/auth/mfa/totp/disable', { body: { password, code: code.trim() } }),
      () => {
        reset();
        setNotice('The second factor is off: signing in asks for your password only.');
        void queryClient.invalidateQueries({ queryKey: ME_QUERY_KEY });
      },
    );
  };

  let body;
  if (recoveryCodes) {
    body = (
      <>
        <p role="status" className="notice">
          The second factor is on: signing in now asks for a code from your authenticator app.
        </p>
        <h3 id="recovery-heading">Your recovery codes</h3>
        <p>
          Store these codes somewhere safe, apart from your phone (a password manager, or printed). Each one signs you
          in once in place of a code if you lose the app. <strong>This is the only time they are shown.</strong>
        </p>
        <ol className="recovery-codes" aria-labelledby="recovery-heading">
          {recoveryCodes.map((recoveryCode) => (
            <li key={recoveryCode}>{recoveryCode}</li>
          ))}
        </ol>
        <button type="button" className="primary" onClick={() => setRecoveryCodes(null)}>
          I have stored them
        </button>
      </>
    );
  } else if (setup) {
    body = (
      <form onSubmit={enable} noValidate>
        <FormErrors messages={formErrors} />
        <p>
          Scan this QR code with your authenticator app (or type the key below into it), then give the code it shows.
        </p>
        <img className="qr" src={qrImageSource(setup.qr_svg)} alt="QR code of the key, for an authenticator app" />
        <p>
          Key for typing in: <code className="secret">{setup.secret}</code>
        </p>
        <Field
          label="Authentication code"
          name="code"
          inputMode="numeric"
          autoComplete="one-time-code"
          required
          value={code}
          onChange={(e) => setCode(e.target.value)}
          errors={fieldErrors.code}
        />
        <div className="filter-buttons">
          <button type="submit" className="primary" disabled={busy}>
            Turn on the second factor
          </button>
          <button
            type="button"
            onClick={() => {
              setSetup(null);
              reset();
            }}
          >
            Cancel
          </button>
        </div>
      </form>
    );
  } else if (user.mfa_enabled) {
    body = (
      <form onSubmit={disable} noValidate>
        <FormErrors messages={formErrors} />
        <p>On: signing in asks for a code from your authenticator app after the password.</p>
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
        <Field
          label="Authentication code"
          name="code"
          autoComplete="one-time-code"
          required
          value={code}
          onChange={(e) => setCode(e.target.value)}
          errors={fieldErrors.code}
          hint="A code from your authenticator app, or one of your recovery codes."
        />
        <button type="submit" className="danger" disabled={busy}>
          Turn off the second factor
        </button>
      </form>
    );
  } else {
    body = (
      <>
        <FormErrors messages={formErrors} />
        <p>
          Off: signing in asks for your password only. A second factor asks for a code from an app on your phone too.
        </p>
        <button type="button" className="primary" disabled={busy} onClick={() => void startSetup()}>
          Set up a second factor
        </button>
      </>
    );
  }

  return (
    <section className="card" aria-labelledby="second-factor-heading">
      <h2 id="second-factor-heading">Second factor</h2>
      {notice && (
        <p role="status" className="notice">
          {notice}
        </p>
      )}
      {body}
    </section>
  );
}
