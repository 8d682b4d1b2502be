import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useEffect, useState } from 'react';
import { api, dataOrThrow, totalCount, User } from '../../api/client';
import { Pager } from '../../components/pager';
import { Empty, ErrorMessage, Loading, TableRegion } from '../../components/states';
import { formatTime } from '../../format';

const PAGE_SIZE = 50;

const STATUS_LABEL: Record<User['status'], string> = {
  pending: 'Pending',
  active: 'Active',
  deactivated: 'Deactivated',
};

/** Every account, a page at a time. */
type UserAction = 'activate' | 'deactivate' | 'promote' | 'demote';

const ACTION_DONE: Record<UserAction, string> = {
  activate: 'activated',
  deactivate: 'deactivated',
  promote: 'made an administrator',
  demote: 'made a user',
};

/** The actions that make sense for a user as they are now. */
function actionsFor(user: User): Array<{ action: UserAction; label: string }> {
  return [
    user.status === 'active'
      ? { action: 'deactivate', label: 'Deactivate' }
      : { action: 'activate', label: 'Activate' },
    user.is_superuser ? { action: 'demote', label: 'Demote' } : { action: 'promote', label: 'Promote' },
  ];
}

export function UsersPage() {
  const queryClient = useQueryClient();
  const [skip, setSkip] = useState(0);
  const [notice, setNotice] = useState('');
  useEffect(() => {
    document.title = 'Users · regshield';
  }, []);
  const users = useQuery({
    queryKey: ['users', 'all', skip],
    queryFn: async () => {
      const result = await api.GET('/api/admin/users', { params: { query: { skip, limit: PAGE_SIZE } } });
      return { users: dataOrThrow(result), total: totalCount(result.response) };
    },
  });
  const act = useMutation({
    mutationFn: async ({ user, action }: { user: User; action: UserAction }) =>
      dataOrThrow(await api.POST(`/api/admin/users/{id}/${action}`, { params: { path: { id: user.id } } })),
    onSuccess: (user, { action }) => {
      setNotice(`${user.email} ${ACTION_DONE[action]}.`);
      void queryClient.invalidateQueries({ queryKey: ['users'] });
    },
  });
  return (
    <>
      <h1>Users</h1>
      <p role="status" className="notice">
        {notice}
      </p>
      {act.isError && <ErrorMessage error={act.error} />}
      {users.isPending && <Loading what="users" />}
      {users.isError && <ErrorMessage error={users.error} />}
      {users.data && users.data.users.length === 0 && <Empty>No users yet.</Empty>}
      {users.data && users.data.users.length > 0 && (
        <TableRegion label="Users">
          <table className="stack">
            <thead>
              <tr>
                <th scope="col">Email</th>
                <th scope="col">Name</th>
                <th scope="col">Status</th>
                <th scope="col">Role</th>
                <th scope="col">Created</th>
                <th scope="col">Last sign-in</th>
                <th scope="col">Actions</th>
              </tr>
            </thead>
            <tbody>
              {users.data.users.map((user) => (
                <tr key={user.id}>
                  <td data-label="Email">{user.email}</td>
                  <td data-label="Name">{user.full_name}</td>
                  <td data-label="Status">
                    <span className={`badge ${user.status}`}>{STATUS_LABEL[user.status]}</span>
                  </td>
                  <td data-label="Role">{user.is_superuser ? 'Administrator' : 'User'}</td>
                  <td data-label="Created">{formatTime(user.created_at)}</td>
                  <td data-label="Last sign-in">{formatTime(user.last_login_at)}</td>
                  <td className="actions">
                    {actionsFor(user).map(({ action, label }) => (
                      <button
                        key={action}
                        type="button"
                        className={action === 'deactivate' || action === 'demote' ? 'danger' : undefined}
                        aria-label={`${label} ${user.email}`}
                        disabled={act.isPending}
                        onClick={() => act.mutate({ user, action })}
                      >
                        {label}
                      </button>
                    ))}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </TableRegion>
      )}
      {users.data && <Pager skip={skip} limit={PAGE_SIZE} total={users.data.total} onChange={setSkip} label="Users" />}
    </>
  );
}
