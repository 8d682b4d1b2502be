import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useEffect, useState } from 'react';
import { Link } from 'wouter';
import { api, dataOrThrow, totalCount, User } from '../../api/client';
import { Pager } from '../../components/pager';
import { Empty, ErrorMessage, Loading, TableRegion } from '../../components/states';
import { formatDuration, formatTime } from '../../format';

const PAGE_SIZE = 50;

type Decision = 'activate' | 'deactivate';

const DONE: Record<Decision, string> = { activate: 'approved', deactivate: 'refused' };

interface Outcome {
  done: string[];
  failed: Array<{ email: string; message: string }>;
}

/** Sign-ups awaiting an admin, oldest first: approve (activate) or refuse (deactivate) each, or several at once. */
export function PendingPage() {
  const queryClient = useQueryClient();
  const [skip, setSkip] = useState(0);
  const [notice, setNotice] = useState('');
  const [failures, setFailures] = useState<Outcome['failed']>([]);
  const [selected, setSelected] = useState<ReadonlySet<string>>(new Set());
  useEffect(() => {
    document.title = 'Pending sign-ups · regshield';
  }, []);

  const pending = useQuery({
    queryKey: ['users', 'pending', skip],
    queryFn: async () => {
      const result = await api.GET('/api/admin/users/inactive', {
        params: { query: { status: 'pending', skip, limit: PAGE_SIZE } },
      });
      return { users: dataOrThrow(result), total: totalCount(result.response) };
    },
  });
  const shown = pending.data?.users ?? [];
  // A selection only ever holds rows on screen: an approved or refused row leaves it with the row.
  const selectedShown = shown.filter((user) => selected.has(user.id));

  const decide = useMutation({
    mutationFn: async ({ users, action }: { users: User[]; action: Decision }): Promise<Outcome> => {
      const { results } = dataOrThrow(
        await api.POST('/api/admin/users/bulk', { body: { action, ids: users.map((user) => user.id) } }),
      );
      const emailOf = new Map(users.map((user) => [user.id, user.email]));
      const outcome: Outcome = { done: [], failed: [] };
      for (const result of results) {
        const email = emailOf.get(result.id) ?? result.id;
        if (result.ok) outcome.done.push(email);
        else outcome.failed.push({ email, message: result.message });
      }
      return outcome;
    },
    onSuccess: ({ done, failed }, { action }) => {
      const total = done.length + failed.length;
      setNotice(
        failed.length > 0
          ? `${done.length} of ${total} ${DONE[action]}.`
          : done.length === 1
            ? `${done[0]} ${DONE[action]}.`
            : `${done.length} sign-ups ${DONE[action]}.`,
      );
      setFailures(failed);
      setSelected(new Set());
      void queryClient.invalidateQueries({ queryKey: ['users'] });
    },
  });

  const toggle = (id: string, on: boolean) =>
    setSelected((previous) => {
      const next = new Set(previous);
      if (on) next.add(id);
      else next.delete(id);
      return next;
    });
  const allSelected = shown.length > 0 && selectedShown.length === shown.length;

  return (
    <>
      <h1>Pending sign-ups</h1>
      <p role="status" className="notice">
        {notice}
      </p>
      {failures.length > 0 && (
        <div role="alert" className="alert">
          <p>Not done:</p>
          <ul>
            {failures.map((failure) => (
              <li key={failure.email}>
                {failure.email}: {failure.message}
              </li>
            ))}
          </ul>
        </div>
      )}
      {decide.isError && <ErrorMessage error={decide.error} />}
      {pending.isPending && <Loading what="pending sign-ups" />}
      {pending.isError && <ErrorMessage error={pending.error} />}
      {pending.data && shown.length === 0 && <Empty>No sign-up is waiting for approval.</Empty>}
      {shown.length > 0 && (
        <>
          <div className="toolbar" role="group" aria-label="Selected sign-ups">
            <label className="check">
              <input
                type="checkbox"
                checked={allSelected}
                onChange={(event) =>
                  setSelected(event.target.checked ? new Set(shown.map((user) => user.id)) : new Set())
                }
              />
              Select all sign-ups shown
            </label>
            <span>{selectedShown.length} selected</span>
            <button
              type="button"
              className="primary"
              disabled={decide.isPending || selectedShown.length === 0}
              onClick={() => decide.mutate({ users: selectedShown, action: 'activate' })}
            >
              Approve selected
            </button>
            <button
              type="button"
              className="danger"
              disabled={decide.isPending || selectedShown.length === 0}
              onClick={() => decide.mutate({ users: selectedShown, action: 'deactivate' })}
            >
              Refuse selected
            </button>
          </div>
          <TableRegion label="Pending sign-ups">
            <table className="stack">
              <thead>
                <tr>
                  <th scope="col">Select</th>
                  <th scope="col">Email</th>
                  <th scope="col">Name</th>
                  <th scope="col">Email verified</th>
                  <th scope="col">Signed up</th>
                  <th scope="col">Waiting</th>
                  <th scope="col">Decision</th>
                </tr>
              </thead>
              <tbody>
                {shown.map((user) => (
                  <tr key={user.id}>
                    <td data-label="Select">
                      <input
                        type="checkbox"
                        aria-label={`Select ${user.email}`}
                        checked={selected.has(user.id)}
                        onChange={(event) => toggle(user.id, event.target.checked)}
                      />
                    </td>
                    <td data-label="Email">
                      <Link href={`/users/${user.id}`}>{user.email}</Link>
                    </td>
                    <td data-label="Name">{user.full_name}</td>
                    <td data-label="Email verified">{user.email_verified ? 'verified' : 'not verified'}</td>
                    <td data-label="Signed up">{formatTime(user.created_at)}</td>
                    <td data-label="Waiting">{formatDuration(Date.now() - Date.parse(user.created_at))}</td>
                    <td data-label="Decision" className="actions">
                      <button
                        type="button"
                        className="primary"
                        aria-label={`Approve ${user.email}`}
                        disabled={decide.isPending}
                        onClick={() => decide.mutate({ users: [user], action: 'activate' })}
                      >
                        Approve
                      </button>
                      <button
                        type="button"
                        className="danger"
                        aria-label={`Refuse ${user.email}`}
                        disabled={decide.isPending}
                        onClick={() => decide.mutate({ users: [user], action: 'deactivate' })}
                      >
                        Refuse
                      </button>
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          </TableRegion>
        </>
      )}
      {pending.data && (
        <Pager skip={skip} limit={PAGE_SIZE} total={pending.data.total} onChange={setSkip} label="Pending sign-ups" />
      )}
    </>
  );
}
