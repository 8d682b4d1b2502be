import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useEffect, useState } from 'react';
import { api, dataOrThrow, totalCount, User } from '../../api/client';
import { Pager } from '../../components/pager';
import { Empty, ErrorMessage, Loading, TableRegion } from '../../components/states';
import { formatDuration, formatTime } from '../../format';

const PAGE_SIZE = 50;

/** Sign-ups awaiting an admin, oldest first: approve (activate) or refuse (deactivate) each. */
export function PendingPage() {
  const queryClient = useQueryClient();
  const [skip, setSkip] = useState(0);
  const [notice, setNotice] = useState('');
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

  const decide = useMutation({
    mutationFn: async ({ user, action }: { user: User; action: 'activate' | 'deactivate' }) =>
      dataOrThrow(await api.POST(`/api/admin/users/{id}/${action}`, { params: { path: { id: user.id } } })),
    onSuccess: (user, { action }) => {
      setNotice(`${user.email} ${action === 'activate' ? 'approved' : 'refused'}.`);
      void queryClient.invalidateQueries({ queryKey: ['users'] });
    },
  });

  return (
    <>
      <h1>Pending sign-ups</h1>
      <p role="status" className="notice">
        {notice}
      </p>
      {decide.isError && <ErrorMessage error={decide.error} />}
      {pending.isPending && <Loading what="pending sign-ups" />}
      {pending.isError && <ErrorMessage error={pending.error} />}
      {pending.data && pending.data.users.length === 0 && <Empty>No sign-up is waiting for approval.</Empty>}
      {pending.data && pending.data.users.length > 0 && (
        <TableRegion label="Pending sign-ups">
          <table className="stack">
            <thead>
              <tr>
                <th scope="col">Email</th>
                <th scope="col">Name</th>
                <th scope="col">Signed up</th>
                <th scope="col">Waiting</th>
                <th scope="col">Decision</th>
              </tr>
            </thead>
            <tbody>
              {pending.data.users.map((user) => (
                <tr key={user.id}>
                  <td data-label="Email">{user.email}</td>
                  <td data-label="Name">{user.full_name}</td>
                  <td data-label="Signed up">{formatTime(user.created_at)}</td>
                  <td data-label="Waiting">{formatDuration(Date.now() - Date.parse(user.created_at))}</td>
                  <td data-label="Decision" className="actions">
                    <button
                      type="button"
                      className="primary"
                      aria-label={`Approve ${user.email}`}
                      disabled={decide.isPending}
                      onClick={() => decide.mutate({ user, action: 'activate' })}
                    >
                      Approve
                    </button>
                    <button
                      type="button"
                      className="danger"
                      aria-label={`Refuse ${user.email}`}
                      disabled={decide.isPending}
                      onClick={() => decide.mutate({ user, action: 'deactivate' })}
                    >
                      Refuse
                    </button>
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </TableRegion>
      )}
      {pending.data && (
        <Pager skip={skip} limit={PAGE_SIZE} total={pending.data.total} onChange={setSkip} label="Pending sign-ups" />
      )}
    </>
  );
}
