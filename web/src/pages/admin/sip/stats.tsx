import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useState } from 'react';
import { Link } from 'wouter';
import { api, dataOrThrow, Schemas } from '../../../api/client';
import { BarList } from '../../../components/bar-list';
import { ConfirmButton } from '../../../components/confirm-button';
import { Empty, ErrorMessage, Loading, TableRegion } from '../../../components/states';
import { useSipRefreshInterval } from './refresh';
import { formatTime, formatTimeToSecond } from '../../../format';
import { sourcePath } from './ban-words';

type TopSource = Schemas['TopSourceDto'];

function banState(source: TopSource): string {
  if (source.banned) return source.ban_expires_at ? `Banned until ${formatTime(source.ban_expires_at)}` : 'Banned';
  if (source.allowlisted) return 'Allowlisted';
  return 'Not banned';
}

/** The last 24 hours: totals, what the events were, and the sources that sent the most. */
export function Stats() {
  const refreshInterval = useSipRefreshInterval();
  const queryClient = useQueryClient();
  const [notice, setNotice] = useState('');
  const ban = useMutation({
    mutationFn: async (source: TopSource) =>
      dataOrThrow(
        await api.POST('/api/sip-security/bans', {
          body: {
            cidr: source.source_ip,
            reason: `top source: ${source.failed_registrations} failed registrations and ${source.door_knocks} door knocks in 24 h (banned from the console)`,
          },
        }),
      ),
    onMutate: () => setNotice(''),
    onSuccess: (created) => {
      setNotice(`${created.cidr} banned until lifted.`);
      void queryClient.invalidateQueries({ queryKey: ['sip'] });
    },
  });
  const stats = useQuery({
    queryKey: ['sip', 'stats'],
    queryFn: async () => dataOrThrow(await api.GET('/api/sip-security/stats')),
    refetchInterval: refreshInterval,
  });
  return (
    <section aria-labelledby="stats-heading">
      <h2 id="stats-heading">Last 24 hours</h2>
      {stats.isPending && <Loading what="statistics" />}
      {stats.isError && <ErrorMessage error={stats.error} />}
      {stats.data && (
        <>
          <p className="totals">
            <strong>{stats.data.totals.failed_registrations}</strong> failed registrations,{' '}
            <strong>{stats.data.totals.door_knocks}</strong> door knocks since {formatTime(stats.data.since)}
          </p>
          <p className="muted">
            Updated at{' '}
            <time dateTime={new Date(stats.dataUpdatedAt).toISOString()}>
              {formatTimeToSecond(new Date(stats.dataUpdatedAt).toISOString())}
            </time>
          </p>
          <div className="grid">
            <BarList
              title="Failed registrations by response code"
              empty="No failed registration."
              items={stats.data.by_response_code.map((row) => ({
                label: row.response_code === null ? 'none' : String(row.response_code),
                count: row.count,
              }))}
            />
            <BarList
              title="Door knocks by reason"
              empty="No door knock."
              items={stats.data.by_reason.map((row) => ({ label: row.reason ?? 'none', count: row.count }))}
            />
          </div>
          <section className="card" aria-labelledby="sources-heading">
            <h3 id="sources-heading">Top sources</h3>
            <p role="status" className="notice">
              {notice}
            </p>
            {ban.isError && <ErrorMessage error={ban.error} />}
            {stats.data.top_sources.length === 0 ? (
              <Empty>No source sent anything.</Empty>
            ) : (
              <TableRegion label="Top sources">
                <table>
                  <thead>
                    <tr>
                      <th scope="col">Source</th>
                      <th scope="col">Failed registrations</th>
                      <th scope="col">Door knocks</th>
                      <th scope="col">Total</th>
                      <th scope="col">State</th>
                      <th scope="col">
                        <span className="visually-hidden">Actions</span>
                      </th>
                    </tr>
                  </thead>
                  <tbody>
                    {stats.data.top_sources.map((source) => (
                      <tr key={source.source_ip}>
                        <td>
                          <Link href={sourcePath(source.source_ip)}>
                            <code>{source.source_ip}</code>
                          </Link>
                        </td>
                        <td>{source.failed_registrations}</td>
                        <td>{source.door_knocks}</td>
                        <td>{source.total}</td>
                        <td>
                          <span className={`badge ${source.banned ? 'deactivated' : 'active'}`}>
                            {banState(source)}
                          </span>
                        </td>
                        <td>
                          {!source.banned && !source.allowlisted && (
                            <ConfirmButton
                              label="Ban"
                              name={`Ban ${source.source_ip}`}
                              question={`Ban ${source.source_ip} until lifted? The proxy refuses its requests at once.`}
                              disabled={ban.isPending}
                              onConfirm={() => ban.mutate(source)}
                            />
                          )}
                        </td>
                      </tr>
                    ))}
                  </tbody>
                </table>
              </TableRegion>
            )}
          </section>
        </>
      )}
    </section>
  );
}
