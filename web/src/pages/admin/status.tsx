import { useQuery } from '@tanstack/react-query';
import { useEffect } from 'react';
import { api, dataOrThrow } from '../../api/client';
import { Empty, ErrorMessage, Loading, TableRegion } from '../../components/states';
import { formatTimeToSecond } from '../../format';
import { useFallbackInterval, useLive } from './live';

/**
 * The status report, shared by the page and the navigation's badge. The stream's `status` event marks it
 * stale when the summary changes; the poll covers a stream that is down, and details that change without
 * the summary (last pushes and pulls).
 */
export function useStatusReport(enabled = true) {
  const interval = useFallbackInterval(60_000, 30_000);
  return useQuery({
    enabled,
    queryKey: ['status', 'report'],
    queryFn: async () => dataOrThrow(await api.GET('/api/admin/status')),
    refetchInterval: interval,
  });
}

const time = (iso: string | null) => (iso ? formatTimeToSecond(iso) : 'Never');

function State({ good, label }: { good: boolean | null; label: string }) {
  return <span className={`badge ${good === false ? 'deactivated' : good ? 'active' : ''}`}>{label}</span>;
}

/** What the service depends on, as the instance that answered sees it, and what is wrong. */
export function StatusPage() {
  useEffect(() => {
    document.title = 'Status · regshield';
  }, []);
  const report = useStatusReport();
  const live = useLive().status;
  if (report.isPending) return <Loading what="the status" />;
  if (report.isError) {
    return (
      <>
        <h1>Status</h1>
        <ErrorMessage error={report.error} />
        {live && !live.ok && (
          <section className="card" aria-labelledby="problems-heading">
            <h2 id="problems-heading">Problems</h2>
            <ul className="problems">
              {live.problems.map((problem) => (
                <li key={problem}>{problem}</li>
              ))}
            </ul>
          </section>
        )}
      </>
    );
  }
  const status = report.data;
  return (
    <>
      <h1>Status</h1>
      <p className="muted">Checked {formatTimeToSecond(status.checked_at)} by the instance that answered.</p>
      <section className="card" aria-labelledby="problems-heading">
        <h2 id="problems-heading">{status.ok ? 'All is well' : 'Problems'}</h2>
        {status.ok ? (
          <p>Nothing needs attention.</p>
        ) : (
          <ul className="problems">
            {status.problems.map((problem) => (
              <li key={problem}>{problem}</li>
            ))}
          </ul>
        )}
      </section>

      <section className="card" aria-labelledby="services-heading">
        <h2 id="services-heading">Database, Redis, ban engine, e-mail</h2>
        <dl className="status-list">
          <div>
            <dt>Database</dt>
            <dd>
              <State good={status.database.up} label={status.database.up ? 'Answers' : 'Does not answer'} />
            </dd>
          </div>
          <div>
            <dt>Redis</dt>
            <dd>
              {status.redis.configured ? (
                <State good={status.redis.up} label={status.redis.up ? 'Answers' : 'Does not answer'} />
              ) : (
                'Not used (REDIS_URL unset)'
              )}
            </dd>
          </div>
          <div>
            <dt>Ban engine lag</dt>
            <dd>{status.ban_engine.lag_seconds === null ? 'Not started yet' : `${status.ban_engine.lag_seconds} s`}</dd>
          </div>
          <div>
            <dt>E-mails waiting</dt>
            <dd>{status.outbox ? status.outbox.pending : 'Unknown'}</dd>
          </div>
          <div>
            <dt>E-mails failed (24 h)</dt>
            <dd>{status.outbox ? status.outbox.failed : 'Unknown'}</dd>
          </div>
        </dl>
      </section>

      <section className="card" aria-labelledby="proxies-heading">
        <h2 id="proxies-heading">SIP proxies</h2>
        {status.proxies.length === 0 ? (
          <Empty>No proxy configured (SIP_PROXY_RPC_URLS).</Empty>
        ) : (
          <TableRegion label="SIP proxies">
            <table className="stack">
              <thead>
                <tr>
                  <th scope="col">Proxy</th>
                  <th scope="col">State</th>
                  <th scope="col">Last push</th>
                  <th scope="col">Last error</th>
                </tr>
              </thead>
              <tbody>
                {status.proxies.map((proxy) => (
                  <tr key={proxy.url}>
                    <td data-label="Proxy">
                      <code>{proxy.url}</code>
                    </td>
                    <td data-label="State">
                      <State
                        good={proxy.in_step}
                        label={proxy.in_step === null ? 'Not pushed yet' : proxy.in_step ? 'In step' : 'Out of step'}
                      />
                    </td>
                    <td data-label="Last push">{time(proxy.last_push_at)}</td>
                    <td data-label="Last error">{proxy.last_error ?? '—'}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </TableRegion>
        )}
      </section>

      <section className="card" aria-labelledby="bouncers-heading">
        <h2 id="bouncers-heading">Bouncer keys</h2>
        {status.bouncers.length === 0 ? (
          <Empty>No bouncer key in force.</Empty>
        ) : (
          <TableRegion label="Bouncer keys">
            <table className="stack">
              <thead>
                <tr>
                  <th scope="col">Name</th>
                  <th scope="col">Last pull</th>
                </tr>
              </thead>
              <tbody>
                {status.bouncers.map((bouncer) => (
                  <tr key={bouncer.id}>
                    <td data-label="Name">{bouncer.name}</td>
                    <td data-label="Last pull">{time(bouncer.last_pull_at)}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </TableRegion>
        )}
      </section>

      <section className="card" aria-labelledby="feeds-heading">
        <h2 id="feeds-heading">Feeds</h2>
        {status.feeds.length === 0 ? (
          <Empty>No ban feed.</Empty>
        ) : (
          <TableRegion label="Feeds">
            <table className="stack">
              <thead>
                <tr>
                  <th scope="col">Feed</th>
                  <th scope="col">Direction</th>
                  <th scope="col">State</th>
                  <th scope="col">Last success</th>
                  <th scope="col">Last error</th>
                </tr>
              </thead>
              <tbody>
                {status.feeds.map((feed) => (
                  <tr key={feed.name}>
                    <td data-label="Feed">{feed.name}</td>
                    <td data-label="Direction">{feed.direction === 'in' ? 'In' : 'Out'}</td>
                    <td data-label="State">
                      <State good={feed.healthy} label={feed.healthy ? 'Working' : 'Failing'} />
                    </td>
                    <td data-label="Last success">{time(feed.last_success_at)}</td>
                    <td data-label="Last error">{feed.last_error ?? '—'}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </TableRegion>
        )}
      </section>
    </>
  );
}
