import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useEffect, useState } from 'react';
import { Link } from 'wouter';
import { useCurrentUser } from '../../auth';
import { api, dataOrThrow, totalCount, User } from '../../api/client';
import { Field } from '../../components/field';
import { Pager } from '../../components/pager';
import { Select } from '../../components/select';
import { Empty, ErrorMessage, Loading, TableRegion } from '../../components/states';
import { useFilterForm } from '../../components/use-filter-form';
import { formatTime } from '../../format';

const PAGE_SIZE = 50;

export const STATUS_LABEL: Record<User['status'], string> = {
  pending: 'Pending',
  active: 'Active',
  deactivated: 'Deactivated',
};

export type UserAction = 'activate' | 'deactivate' | 'promote' | 'demote';

export const ACTION_DONE: Record<UserAction, string> = {
  activate: 'activated',
  deactivate: 'deactivated',
  promote: 'made an administrator',
  demote: 'made a user',
};

/** The actions that make sense for a user as they are now. */
/** The actions offered on a user: never deactivating or demoting yourself, which the API refuses. */
export function actionsFor(user: User, meId: string | undefined): Array<{ action: UserAction; label: string }> {
  const actions: Array<{ action: UserAction; label: string }> = [
    user.status === 'active'
      ? { action: 'deactivate', label: 'Deactivate' }
      : { action: 'activate', label: 'Activate' },
    user.is_superuser ? { action: 'demote', label: 'Demote' } : { action: 'promote', label: 'Promote' },
  ];
  if (user.id !== meId) return actions;
  return actions.filter(({ action }) => action !== 'deactivate' && action !== 'demote');
}

interface UserFilters {
  q: string;
  status: '' | User['status'];
  role: '' | 'admin' | 'user';
}

const NO_FILTERS: UserFilters = { q: '', status: '', role: '' };

/** Every account, a page at a time, searched by e-mail or name and filtered by status and role. */
export function UsersPage() {
  const me = useCurrentUser();
  const queryClient = useQueryClient();
  const [notice, setNotice] = useState('');
  const { draft, filters, skip, setSkip, change, edit, submit, clear } = useFilterForm(NO_FILTERS);
  useEffect(() => {
    document.title = 'Users · regshield';
  }, []);
  const users = useQuery({
    queryKey: ['users', 'all', filters, skip],
    queryFn: async () => {
      const result = await api.GET('/api/admin/users', {
        params: {
          query: {
            skip,
            limit: PAGE_SIZE,
            q: filters.q || undefined,
            status: filters.status || undefined,
            is_superuser: filters.role === '' ? undefined : filters.role === 'admin',
          },
        },
      });
      return { users: dataOrThrow(result), total: totalCount(result.response) };
    },
  });
  const filtered = filters.q !== '' || filters.status !== '' || filters.role !== '';
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
      <form className="filters" role="search" aria-label="Find users" onSubmit={submit}>
        <Field
          label="Search"
          type="search"
          name="q"
          placeholder="e-mail or name"
          value={draft.q}
          onChange={edit('q')}
        />
        <Select
          label="Status"
          value={draft.status}
          options={[
            ['', 'Any status'],
            ['pending', 'Pending'],
            ['active', 'Active'],
            ['deactivated', 'Deactivated'],
          ]}
          onChange={(status) => change('status', status)}
        />
        <Select
          label="Role"
          value={draft.role}
          options={[
            ['', 'Any role'],
            ['admin', 'Administrator'],
            ['user', 'User'],
          ]}
          onChange={(role) => change('role', role)}
        />
        <div className="filter-buttons">
          <button type="submit" className="primary">
            Search
          </button>
          <button type="button" onClick={clear}>
            Clear
          </button>
        </div>
      </form>
      <p role="status" className="notice">
        {notice}
      </p>
      {act.isError && <ErrorMessage error={act.error} />}
      {users.isPending && <Loading what="users" />}
      {users.isError && <ErrorMessage error={users.error} />}
      {users.data && users.data.users.length === 0 && (
        <Empty>{filtered ? 'No user matches these filters.' : 'No users yet.'}</Empty>
      )}
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
                  <td data-label="Email">
                    <Link href={`/users/${user.id}`}>{user.email}</Link>
                  </td>
                  <td data-label="Name">{user.full_name}</td>
                  <td data-label="Status">
                    <span className={`badge ${user.status}`}>{STATUS_LABEL[user.status]}</span>
                  </td>
                  <td data-label="Role">{user.is_superuser ? 'Administrator' : 'User'}</td>
                  <td data-label="Created">{formatTime(user.created_at)}</td>
                  <td data-label="Last sign-in">{formatTime(user.last_login_at)}</td>
                  <td className="actions">
                    {actionsFor(user, me.data?.id).map(({ action, label }) => (
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
