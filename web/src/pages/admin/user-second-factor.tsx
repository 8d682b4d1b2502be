import { useQuery } from '@tanstack/react-query';
import { api, dataOrThrow, noContent, User } from '../../api/client';
import { ConfirmButton } from '../../components/confirm-button';
import { PasskeyTable } from '../../components/passkey-table';
import { ErrorMessage, Loading } from '../../components/states';

interface SecondFactorProps {
  user: User;
  /** Runs a change of the user page (its result said in words, what it touched read again). */
  run: (work: () => Promise<string>) => void;
  busy: boolean;
}

/**
 * A user's second factors as an admin sees them: the authenticator app (TOTP) and the passkeys, each passkey
 * with **Remove** (a lost device), and **Remove second factor** for all of them at once (a lost phone).
 */
export function SecondFactor({ user, run, busy }: SecondFactorProps) {
  const path = { params: { path: { id: user.id } } };
  const passkeys = useQuery({
    // Under ['users'], so that every change of the user page reads it again.
    queryKey: ['users', 'one', user.id, 'passkeys'],
    queryFn: async () => dataOrThrow(await api.GET('/api/admin/users/{id}/passkeys', path)),
  });
  const hasPasskeys = (passkeys.data?.length ?? 0) > 0;
  return (
    <>
      <h3>Second factor</h3>
      {passkeys.isPending && <Loading what="passkeys" />}
      {passkeys.isError && <ErrorMessage error={passkeys.error} />}
      {!user.mfa_enabled && passkeys.data?.length === 0 && <p>Off.</p>}
      {user.mfa_enabled && <p>On: sign-in asks for a code from an authenticator app.</p>}
      {passkeys.data && hasPasskeys && (
        <>
          <p>
            {passkeys.data.length === 1 ? 'A passkey signs' : `${passkeys.data.length} passkeys sign`} in without the
            password.
          </p>
          <PasskeyTable
            passkeys={passkeys.data}
            removalQuestion={(passkey) =>
              `Remove the passkey ${passkey.name} of ${user.email}? It will no longer sign them in; their other factors and sessions stay.`
            }
            disabled={busy}
            onRemove={(passkey) =>
              run(async () => {
                noContent(
                  await api.DELETE('/api/admin/users/{id}/passkeys/{passkeyId}', {
                    params: { path: { id: user.id, passkeyId: passkey.id } },
                  }),
                );
                return `The passkey ${passkey.name} of ${user.email} has been removed.`;
              })
            }
          />
        </>
      )}
      {(user.mfa_enabled || hasPasskeys) && (
        <ConfirmButton
          label="Remove second factor"
          question={`Remove every second factor of ${user.email}: the authenticator app, its recovery codes and every passkey? They will sign in with the password alone. Their sessions stay: sign them out everywhere if the phone was stolen.`}
          disabled={busy}
          onConfirm={() =>
            run(async () => {
              noContent(await api.DELETE('/api/admin/users/{id}/mfa', path));
              return `Every second factor of ${user.email} removed: authenticator app, recovery codes and passkeys.`;
            })
          }
        />
      )}
    </>
  );
}
