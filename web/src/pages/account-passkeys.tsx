import { PublicKeyCredentialCreationOptionsJSON, startRegistration } from '@simplewebauthn/browser';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { FormEvent, useState } from 'react';
import { api, dataOrThrow, errorMessages, messagesByField } from '../api/client';
import { credentialBody } from '../api/passkeys';
import { Passkey, PasskeyTable } from '../components/passkey-table';
import { Field, FormErrors } from '../components/field';
import { Empty, ErrorMessage, Loading } from '../components/states';
import { formatTime } from '../format';

export const PASSKEYS_QUERY_KEY = ['passkeys'] as const;
export const ADMIN_FACTOR_QUERY_KEY = ['admin-factor'] as const;

const UNREACHABLE = 'The service cannot be reached. Check your connection and try again.';

/**
 * The status of ADMIN_MFA_REQUIRED for the signed-in user (the console sends a blocked admin to /account).
 * Keyed by the TOTP state too, which the second-factor section changes.
 */
export function useAdminFactor(mfaEnabled: boolean) {
  return useQuery({
    queryKey: [...ADMIN_FACTOR_QUERY_KEY, mfaEnabled],
    queryFn: async () => dataOrThrow(await api.GET('/api/auth/admin-factor')),
  });
}

/** Tells an administrator without the factor the policy asks for what to add, and by when. */
export function AdminFactorNotice({ mfaEnabled }: { mfaEnabled: boolean }) {
  const status = useAdminFactor(mfaEnabled);
  if (!status.data || status.data.satisfied || status.data.required === 'off') return null;
  const what = status.data.required === 'passkey' ? 'a passkey' : 'a passkey or an authenticator app (below)';
  return (
    <p role="alert" className="notice">
      Administrators need {what}.{' '}
      {status.data.blocked
        ? 'The admin console is closed to you until you add one.'
        : `Add one before ${formatTime(status.data.grace_ends_at)}: the admin console closes to you then.`}
    </p>
  );
}

/** What the browser says when no passkey was made, in words for the person adding one. */
function creationFailure(error: unknown): string {
  const name = error instanceof Error ? error.name : '';
  if (name === 'InvalidStateError') return 'This device already holds a passkey for your account.';
  if (name === 'NotAllowedError') return 'No passkey was created: the request was cancelled or timed out.';
  return 'This browser or device cannot create a passkey here.';
}

/** The user's passkeys: add one (named), see when each was last used, remove one. */
export function PasskeysSection() {
  const queryClient = useQueryClient();
  const [name, setName] = useState('');
  const [busy, setBusy] = useState(false);
  const [nameErrors, setNameErrors] = useState<string[]>([]);
  const [formErrors, setFormErrors] = useState<string[]>([]);
  const [notice, setNotice] = useState('');
  const passkeys = useQuery({
    queryKey: PASSKEYS_QUERY_KEY,
    queryFn: async () => dataOrThrow(await api.GET('/api/auth/passkeys')),
  });
  const changed = () => {
    void queryClient.invalidateQueries({ queryKey: PASSKEYS_QUERY_KEY });
    void queryClient.invalidateQueries({ queryKey: ADMIN_FACTOR_QUERY_KEY });
  };
  const remove = useMutation({
    mutationFn: async (passkey: Passkey) => {
      const { error, response } = await api.DELETE('/api/auth/passkeys/{id}', {
        params: { path: { id: passkey.id } },
      });
      // 404: it was removed already, which is what was asked.
      if (!response.ok && response.status !== 404) dataOrThrow({ error, response });
    },
    onSuccess: (_nothing, passkey) => {
      setNotice(`The passkey ${passkey.name} has been removed.`);
      changed();
    },
  });

  const add = async (event: FormEvent) => {
    event.preventDefault();
    setBusy(true);
    setNameErrors([]);
    setFormErrors([]);
    setNotice('');
    try {
      const options = await api.POST('/api/auth/passkeys/register/options');
      if (!options.data) {
        setFormErrors(errorMessages(options.error, `Failed (${options.response.status}).`));
        return;
      }
      let credential;
      try {
        credential = credentialBody(
          await startRegistration({ optionsJSON: options.data as unknown as PublicKeyCredentialCreationOptionsJSON }),
        );
      } catch (error) {
        setFormErrors([creationFailure(error)]);
        return;
      }
      const trimmed = name.trim();
      const { data, error, response } = await api.POST('/api/auth/passkeys/register/verify', {
        body: trimmed === '' ? { credential } : { name: trimmed, credential },
      });
      if (data) {
        setName('');
        setNotice(`The passkey ${data.name} has been added. You can sign in with it now.`);
        changed();
        return;
      }
      const split = messagesByField(errorMessages(error, `Failed (${response.status}).`), ['name'] as const);
      setNameErrors(split.fields.name ?? []);
      setFormErrors(split.other);
    } catch {
      setFormErrors([UNREACHABLE]);
    } finally {
      setBusy(false);
    }
  };

  return (
    <section className="card" aria-labelledby="passkeys-heading">
      <h2 id="passkeys-heading">Passkeys</h2>
      <p>
        A passkey signs you in without your password or a code: your device checks that it is you (fingerprint, face or
        PIN), and it works only on this site, so it cannot be phished.
      </p>
      <p role="status" className="notice">
        {notice}
      </p>
      {remove.isError && <ErrorMessage error={remove.error} />}
      {passkeys.isPending && <Loading what="your passkeys" />}
      {passkeys.isError && <ErrorMessage error={passkeys.error} />}
      {passkeys.data?.length === 0 && <Empty>No passkeys yet.</Empty>}
      {passkeys.data && passkeys.data.length > 0 && (
        <PasskeyTable
          passkeys={passkeys.data}
          removalQuestion={(passkey) => `Remove the passkey ${passkey.name}? It will no longer sign you in.`}
          disabled={remove.isPending}
          onRemove={(passkey) => remove.mutate(passkey)}
        />
      )}
      <form onSubmit={(event) => void add(event)} noValidate>
        <FormErrors messages={formErrors} />
        <Field
          label="Name of the new passkey"
          name="passkey-name"
          maxLength={100}
          value={name}
          onChange={(e) => setName(e.target.value)}
          errors={nameErrors}
          hint="Optional, e.g. the device that holds it: “Laptop”, “Phone”."
        />
        <button type="submit" disabled={busy}>
          {busy ? 'Adding…' : 'Add a passkey'}
        </button>
      </form>
    </section>
  );
}
