import { Schemas } from '../api/client';
import { formatTime } from '../format';
import { ConfirmButton } from './confirm-button';
import { TableRegion } from './states';

export type Passkey = Schemas['PasskeyResponseDto'];

interface PasskeyTableProps {
  passkeys: Passkey[];
  /** The question asked before a passkey goes: whose it is and what stays differ between the owner and an admin. */
  removalQuestion: (passkey: Passkey) => string;
  disabled: boolean;
  onRemove: (passkey: Passkey) => void;
}

/** Passkeys as both their owner (/account) and an admin (a user's page) see them, each with **Remove**. */
export function PasskeyTable({ passkeys, removalQuestion, disabled, onRemove }: PasskeyTableProps) {
  return (
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
          {passkeys.map((passkey) => (
            <tr key={passkey.id}>
              <td data-label="Name">{passkey.name}</td>
              <td data-label="Added">{formatTime(passkey.created_at)}</td>
              <td data-label="Last used">{passkey.last_used_at ? formatTime(passkey.last_used_at) : 'never'}</td>
              <td className="actions">
                <ConfirmButton
                  label="Remove"
                  name={`Remove the passkey ${passkey.name}`}
                  question={removalQuestion(passkey)}
                  disabled={disabled}
                  onConfirm={() => onRemove(passkey)}
                />
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </TableRegion>
  );
}
