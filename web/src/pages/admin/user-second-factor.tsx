import { useQuery } from '@tanstack/react-query';
import { api, dataOrThrow, noContent, User } from '../../api/client';
import { ConfirmButton } from '../../components/confirm-button';
import { ErrorMessage, Loading, TableRegion } from '../../components/states';
import { formatTime } from '../../format';

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
          <TableRegion label="Passkeys">
            <table className="stack">
              <thead>
                <tr>
                  <th scope="col">Name</th>
                  <th scope="col">Added</th>
                  <th scope="col">Last used</th>
                  <th scope="col">Actions</th>
                </tr>
              </thead>
              <tbody>
                {passkeys.data.map((passkey) => (
                  <tr key={passkey.id}>
                    <td data-label="Name">{passkey.name}</td>
                    <td data-label="Added">{formatTime(passkey.created_at)}</td>
                    <td data-label="Last used">{passkey.last_used_at ? formatTime(passkey.last_used_at) : 'never'}</td>
                    <td className="actions">
                      <ConfirmButton
                        label="Remove"
                        name={`Remove the passkey ${passkey.name}`}
                        question={`Remove the passkey ${passkey.name} of ${user.email}? It will no longer sign them in; their other factors and sessions stay.`}
                        disabled={busy}
                        onConfirm={() =>
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
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          </TableRegion>
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
