import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useEffect, useState } from 'react';
import { Link } from 'wouter';
import { useCurrentUser } from '../../auth';
import { api, dataOrThrow, noContent, Schemas, totalCount, User } from '../../api/client';
import { AuditDetails } from '../../components/audit-details';
import { ConfirmButton } from '../../components/confirm-button';
import { Panel } from '../../components/panel';
import { Empty, ErrorMessage, Loading, TableRegion } from '../../components/states';
import { formatTime, formatTimeToSecond } from '../../format';
import { SecondFactor } from './user-second-factor';
import { ACTION_DONE, actionsFor, STATUS_LABEL, UserAction } from './users';

const AUDIT_LIMIT = 20;

type Session = Schemas['SessionResponseDto'];

/**
 * One account: its status and role, sessions, lockout, second factors (TOTP and passkeys), password reset and
 * audit events.
 */
export function UserPage({ id }: { id: string }) {
  const me = useCurrentUser();
  const queryClient = useQueryClient();
  const [notice, setNotice] = useState('');
  const path = { params: { path: { id } } };

  const user = useQuery({
    queryKey: ['users', 'one', id],
    queryFn: async () => dataOrThrow(await api.GET('/api/admin/users/{id}', path)),
  });
  const sessions = useQuery({
    queryKey: ['users', 'one', id, 'sessions'],
    queryFn: async () => dataOrThrow(await api.GET('/api/admin/users/{id}/sessions', path)),
  });
  const audit = useQuery({
    queryKey: ['audit', 'target', id],
    queryFn: async () => {
      const result = await api.GET('/api/admin/audit', { params: { query: { target_id: id, limit: AUDIT_LIMIT } } });
      return { events: dataOrThrow(result), total: totalCount(result.response) };
    },
  });
  const email = user.data?.email;
  useEffect(() => {
    document.title = `${email ?? 'User'} · regshield`;
  }, [email]);

  /** Runs a change, then says what happened and reloads what it touched. */
  const change = useMutation({
    mutationFn: async ({ run }: { run: () => Promise<string> }) => run(),
    onMutate: () => setNotice(''),
    onSuccess: (message) => setNotice(message),
    onSettled: () => {
      void queryClient.invalidateQueries({ queryKey: ['users'] });
      void queryClient.invalidateQueries({ queryKey: ['audit'] });
    },
  });
  const act = (action: UserAction) =>
    change.mutate({
      run: async () => {
        const changed = dataOrThrow(await api.POST(`/api/admin/users/{id}/${action}`, path));
        return `${changed.email} ${ACTION_DONE[action]}.`;
      },
    });

  if (user.isPending) return <Loading what="the user" />;
  if (user.isError) {
    return (
      <>
        <h1>User</h1>
        <ErrorMessage error={user.error} />
        <p>
          <Link href="/users">All users</Link>
        </p>
      </>
    );
  }
  const u: User = user.data;
  const busy = change.isPending;
  return (
    <>
      <p>
        <Link href="/users">All users</Link>
      </p>
      <h1>{u.email}</h1>
      <p role="status" className="notice">
        {notice}
      </p>
      {change.isError && <ErrorMessage error={change.error} />}

      <div className="panels">
        <Panel title="Account">
          <dl className="facts">
            <dt>Name</dt>
            <dd>{u.full_name}</dd>
            <dt>Status</dt>
            <dd>
              <span className={`badge ${u.status}`}>{STATUS_LABEL[u.status]}</span>
            </dd>
            <dt>Role</dt>
            <dd>{u.is_superuser ? 'Administrator' : 'User'}</dd>
            <dt>Email</dt>
            <dd>{u.email_verified ? 'verified' : 'not verified'}</dd>
            <dt>Created</dt>
            <dd>{formatTime(u.created_at)}</dd>
            <dt>Last sign-in</dt>
            <dd>{formatTime(u.last_login_at)}</dd>
          </dl>
          <div className="actions">
            {actionsFor(u, me.data?.id).map(({ action, label }) =>
              action === 'deactivate' || action === 'demote' ? (
                <ConfirmButton
                  key={action}
                  label={label}
                  question={`${label} ${u.email}?`}
                  disabled={busy}
                  onConfirm={() => act(action)}
                />
              ) : (
                <button key={action} type="button" disabled={busy} onClick={() => act(action)}>
                  {label}
                </button>
              ),
            )}
          </div>
        </Panel>

        <Panel title="Sign-in protection">
          <h3>Lockout</h3>
          {u.locked_until ? (
            <>
              <p>Locked after too many failed sign-ins, until {formatTime(u.locked_until)}.</p>
              <button
                type="button"
                disabled={busy}
                onClick={() =>
                  change.mutate({
                    run: async () => {
                      noContent(await api.DELETE('/api/admin/users/{id}/lockout', path));
                      return `${u.email} unlocked: they can sign in again.`;
                    },
                  })
                }
              >
                Unlock
              </button>
            </>
          ) : (
            <p>Not locked.</p>
          )}
          <SecondFactor user={u} busy={busy} run={(run) => change.mutate({ run })} />
          <h3>Password</h3>
          <button
            type="button"
            disabled={busy}
            onClick={() =>
              change.mutate({
                run: async () => {
                  dataOrThrow(await api.POST('/api/admin/users/{id}/password-reset', path));
                  return `A password reset e-mail is on its way to ${u.email}.`;
                },
              })
            }
          >
            Send password reset e-mail
          </button>
        </Panel>
      </div>

      <Panel title="Sessions">
        {sessions.isPending && <Loading what="sessions" />}
        {sessions.isError && <ErrorMessage error={sessions.error} />}
        {sessions.data && sessions.data.length === 0 && <Empty>No active session.</Empty>}
        {sessions.data && sessions.data.length > 0 && (
          <>
            <SessionTable sessions={sessions.data} />
            <ConfirmButton
              label="Sign out everywhere"
              question={`End every session of ${u.email}? Their apps must sign in again.`}
              disabled={busy}
              onConfirm={() =>
                change.mutate({
                  run: async () => {
                    noContent(await api.DELETE('/api/admin/users/{id}/sessions', path));
                    return `${u.email} is signed out everywhere.`;
                  },
                })
              }
            />
          </>
        )}
      </Panel>

      <Panel title="Audit events">
        {audit.isPending && <Loading what="audit events" />}
        {audit.isError && <ErrorMessage error={audit.error} />}
        {audit.data && audit.data.events.length === 0 && <Empty>No event about this user.</Empty>}
        {audit.data && audit.data.events.length > 0 && (
          <>
            <p className="muted">
              The {audit.data.events.length} latest of {audit.data.total} events about this user.
            </p>
            <TableRegion label="Audit events about this user">
              <table className="stack">
                <thead>
                  <tr>
                    <th scope="col">Time</th>
                    <th scope="col">Event</th>
                    <th scope="col">Client IP</th>
                    <th scope="col">Details</th>
                  </tr>
                </thead>
                <tbody>
                  {audit.data.events.map((event) => (
                    <tr key={event.id}>
                      <td data-label="Time">
                        <time dateTime={event.time}>{formatTimeToSecond(event.time)}</time>
                      </td>
                      <td data-label="Event">{event.event}</td>
                      <td data-label="Client IP">{event.ip ?? '—'}</td>
                      <td data-label="Details">
                        <AuditDetails details={event.details} />
                      </td>
                    </tr>
                  ))}
                </tbody>
              </table>
            </TableRegion>
          </>
        )}
      </Panel>
    </>
  );
}

function SessionTable({ sessions }: { sessions: Session[] }) {
  return (
    <TableRegion label="Session list">
      <table className="stack">
        <thead>
          <tr>
            <th scope="col">Started</th>
            <th scope="col">Last used</th>
            <th scope="col">Client IP</th>
            <th scope="col">Browser or app</th>
          </tr>
        </thead>
        <tbody>
          {sessions.map((session) => (
            <tr key={session.id}>
              <td data-label="Started">{formatTime(session.created_at)}</td>
              <td data-label="Last used">{formatTime(session.last_used_at)}</td>
              <td data-label="Client IP">{session.ip ?? '—'}</td>
              <td data-label="Browser or app">{session.user_agent ?? '—'}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </TableRegion>
  );
}
