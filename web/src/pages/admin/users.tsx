import { useQuery } from '@tanstack/react-query';
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
export function UsersPage() {
  const [skip, setSkip] = useState(0);
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
  return (
    <>
      <h1>Users</h1>
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
