import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useState } from 'react';
import { api, dataOrThrow, Schemas } from '../api/client';
import { Empty, ErrorMessage, Loading, TableRegion } from '../components/states';
import { formatTime } from '../format';

type Session = Schemas['SessionResponseDto'];

export const SESSIONS_QUERY_KEY = ['sessions'] as const;

/** How a session's browser or client is named on the page and in its button's accessible name. */
function deviceName(session: Session): string {
  return session.user_agent ?? 'an unknown client';
}

/** The user's own sessions: where they are signed in, this device marked, the others can be ended one by one. */
export function SessionsSection() {
  const queryClient = useQueryClient();
  const [notice, setNotice] = useState('');
  const sessions = useQuery({
    queryKey: SESSIONS_QUERY_KEY,
    queryFn: async () => dataOrThrow(await api.GET('/api/auth/sessions')),
  });
  const end = useMutation({
    mutationFn: async (session: Session) => {
      const { error, response } = await api.DELETE('/api/auth/sessions/{id}', {
        params: { path: { id: session.id } },
      });
      // 404: it had ended already, which is what was asked.
      if (!response.ok && response.status !== 404) dataOrThrow({ error, response });
    },
    onSuccess: (_nothing, session) => {
      setNotice(`The session of ${deviceName(session)} has ended.`);
      void queryClient.invalidateQueries({ queryKey: SESSIONS_QUERY_KEY });
    },
  });

  return (
    <section className="card" aria-labelledby="sessions-heading">
      <h2 id="sessions-heading">Where you are signed in</h2>
      <p role="status" className="notice">
        {notice}
      </p>
      {end.isError && <ErrorMessage error={end.error} />}
      {sessions.isPending && <Loading what="your sessions" />}
      {sessions.isError && <ErrorMessage error={sessions.error} />}
      {sessions.data?.length === 0 && <Empty>No active sessions.</Empty>}
      {sessions.data && sessions.data.length > 0 && (
        <TableRegion label="Sessions">
          <table className="stack">
            <thead>
              <tr>
                <th scope="col">Browser or client</th>
                <th scope="col">IP address</th>
                <th scope="col">Signed in</th>
                <th scope="col">Last active</th>
                <th scope="col">Actions</th>
              </tr>
            </thead>
            <tbody>
              {sessions.data.map((session) => (
                <tr key={session.id}>
                  <td data-label="Client" className="agent">
                    <span>
                      {deviceName(session)}
                      {session.current && (
                        <>
                          {' '}
                          <span className="badge active">this device</span>
                        </>
                      )}
                    </span>
                  </td>
                  <td data-label="IP address">{session.ip ?? '—'}</td>
                  <td data-label="Signed in">{formatTime(session.created_at)}</td>
                  <td data-label="Last active">{formatTime(session.last_used_at)}</td>
                  <td className="actions">
                    {!session.current && (
                      <button
                        type="button"
                        className="danger"
                        aria-label={`End the session of ${deviceName(session)}, signed in ${formatTime(session.created_at)}`}
                        disabled={end.isPending}
                        onClick={() => end.mutate(session)}
                      >
                        End
                      </button>
                    )}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </TableRegion>
      )}
    </section>
  );
}
