import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { Fragment, ReactNode, useEffect, useState } from 'react';
import { Link } from 'wouter';
import { api, dataOrThrow, Schemas, totalCount } from '../../../api/client';
import { ConfirmButton } from '../../../components/confirm-button';
import { Field } from '../../../components/field';
import { Pager } from '../../../components/pager';
import { Select } from '../../../components/select';
import { Empty, ErrorMessage, Loading, TableRegion } from '../../../components/states';
import { useFilterForm } from '../../../components/use-filter-form';
import { formatTime, localInputToIso } from '../../../format';
import { useFallbackInterval } from '../live';
import { SIP_REFRESH_MS } from './refresh';
import { SipPagesNav } from './sip-pages-nav';

type Alert = Schemas['AccountAlertDto'];
type AlertKind = Alert['kind'];
type AlertState = 'unresolved' | 'resolved';

const PAGE_SIZE = 20;

export const ALERT_KIND_WORDS: Record<AlertKind, string> = {
  credential_compromise: 'Credential compromise',
  new_network: 'New network',
  new_country: 'New country',
};

const KINDS: Array<[AlertKind | '', string]> = [
  ['', 'Any kind'],
  ...(Object.entries(ALERT_KIND_WORDS) as Array<[AlertKind, string]>),
];

const STATES: Array<[AlertState | '', string]> = [
  ['', 'Resolved or not'],
  ['unresolved', 'Unresolved'],
  ['resolved', 'Resolved'],
];

/** Which part of the compromise rule fired, in an admin's words. */
const RULE_WORDS: Record<string, string> = {
  failed_then_succeeded: 'It failed to register this account, then succeeded',
  banned_source: 'It was banned shortly before',
  username_sweep: 'It tried many usernames before succeeding',
};

interface AlertFilters {
  kind: AlertKind | '';
  state: AlertState | '';
  username: string;
  domain: string;
  since: string;
  until: string;
}

const NO_FILTERS: AlertFilters = { kind: '', state: '', username: '', domain: '', since: '', until: '' };

/**
 * How often the alerts are read again: a new alert comes with the live stream's account_alert event, but an
 * alert another admin resolves comes with none.
 */
function useAlertsInterval(): number {
  return useFallbackInterval(60_000, SIP_REFRESH_MS);
}

/** The unresolved alerts' count, for the SIP door's sub-navigation: one row read, its X-Total-Count kept. */
export function useUnresolvedAlertCount() {
  const interval = useAlertsInterval();
  return useQuery({
    queryKey: ['sip', 'account-alerts', 'unresolved-count'],
    queryFn: async () => {
      const result = await api.GET('/api/sip-security/account-alerts', {
        params: { query: { state: 'unresolved', skip: 0, limit: 1 } },
      });
      dataOrThrow(result);
      return totalCount(result.response);
    },
    refetchInterval: interval,
  });
}

function listOf(value: unknown): string {
  return Array.isArray(value) && value.length > 0 ? value.map(String).join(', ') : 'None';
}

/**
 * What the rule saw, as labelled facts (the evidence's known keys in words; a key this page does not know
 * yet is still shown, under its own name, rather than hidden).
 */
function Evidence({ evidence }: { evidence: Alert['evidence'] }) {
  const facts: Array<[string, ReactNode]> = [];
  const rest = { ...evidence };
  const take = (key: string, label: string, show: (value: unknown) => ReactNode = String) => {
    if (!(key in rest)) return;
    const value = rest[key];
    delete rest[key];
    if (value === null || value === undefined) return;
    facts.push([label, show(value)]);
  };
  take('rule', 'Rule', (rule) => RULE_WORDS[String(rule)] ?? String(rule));
  take('registered_at', 'Registered at', (time) => formatTime(String(time)));
  take('user_agent', 'User agent');
  take('failed_for_account', 'Failures for this account');
  take('usernames_tried', 'Usernames tried');
  take('ban_id', 'Ban', (id) => <Link href={`/sip/bans/${String(id)}`}>Ban #{String(id)}</Link>);
  take('ban_reason', 'Ban reason');
  take('earlier_registrations', 'Earlier registrations');
  take('earlier_sources', 'Earlier sources', listOf);
  take('earlier_countries', 'Earlier countries', listOf);
  delete rest.registration_id;
  for (const [key, value] of Object.entries(rest)) {
    facts.push([key.replaceAll('_', ' '), typeof value === 'string' ? value : JSON.stringify(value)]);
  }
  return (
    <dl className="facts">
      {facts.map(([label, value]) => (
        <Fragment key={label}>
          <dt>{label}</dt>
          <dd>{value}</dd>
        </Fragment>
      ))}
    </dl>
  );
}

/** Alerts about SIP accounts (a credential compromise, a new network or country), filtered, resolved here. */
export function AccountAlertsPage() {
  const queryClient = useQueryClient();
  const { draft, filters, skip, setSkip, change, edit, submit, clear } = useFilterForm(NO_FILTERS);
  const [notice, setNotice] = useState('');
  const interval = useAlertsInterval();
  useEffect(() => {
    document.title = 'Account alerts · SIP door · regshield';
  }, []);

  const alerts = useQuery({
    queryKey: ['sip', 'account-alerts', filters, skip],
    queryFn: async () => {
      const result = await api.GET('/api/sip-security/account-alerts', {
        params: {
          query: {
            skip,
            limit: PAGE_SIZE,
            kind: filters.kind || undefined,
            state: filters.state || undefined,
            username: filters.username || undefined,
            domain: filters.domain || undefined,
            since: localInputToIso(filters.since),
            until: localInputToIso(filters.until),
          },
        },
      });
      return { alerts: dataOrThrow(result), total: totalCount(result.response) };
    },
    placeholderData: (previous) => previous,
    refetchInterval: interval,
  });

  const resolve = useMutation({
    mutationFn: async (alert: Alert) =>
      dataOrThrow(
        await api.POST('/api/sip-security/account-alerts/{id}/resolve', { params: { path: { id: alert.id } } }),
      ),
    onMutate: () => setNotice(''),
    onSuccess: (alert) => {
      setNotice(`Alert on ${alert.username}@${alert.domain} resolved.`);
      void queryClient.invalidateQueries({ queryKey: ['sip', 'account-alerts'] });
    },
  });

  return (
    <>
      <h1>Account alerts</h1>
      <SipPagesNav />
      <p>
        A successful registration that looks wrong: after failures of the same account from its source, from a banned
        source or one that swept usernames (a <em>credential compromise</em>: the source is banned and, by default, the
        account blocked), or from a network or country the account has not used lately. Resolve an alert once it is
        handled; the account blocks it made stay until lifted on <Link href="/sip/account-blocks">Account blocks</Link>.
      </p>
      <form className="filters" onSubmit={submit} aria-label="Alert filters">
        <Select label="Kind" value={draft.kind} options={KINDS} onChange={(kind) => change('kind', kind)} />
        <Select label="State" value={draft.state} options={STATES} onChange={(state) => change('state', state)} />
        <Field label="Username" name="username" value={draft.username} onChange={edit('username')} />
        <Field label="Domain" name="domain" value={draft.domain} onChange={edit('domain')} />
        <Field label="From" type="datetime-local" step={1} name="since" value={draft.since} onChange={edit('since')} />
        <Field label="Until" type="datetime-local" step={1} name="until" value={draft.until} onChange={edit('until')} />
        <div className="filter-buttons">
          <button type="submit" className="primary">
            Apply filters
          </button>
          <button type="button" onClick={clear}>
            Clear filters
          </button>
        </div>
      </form>
      <p role="status" className="notice">
        {notice}
      </p>
      {resolve.isError && <ErrorMessage error={resolve.error} />}
      {alerts.isPending && <Loading what="the account alerts" />}
      {alerts.isError && <ErrorMessage error={alerts.error} />}
      {alerts.data && alerts.data.alerts.length === 0 && <Empty>No alert matches these filters.</Empty>}
      {alerts.data && alerts.data.alerts.length > 0 && (
        <>
          <TableRegion label="Account alerts">
            <table className="stack">
              <thead>
                <tr>
                  <th scope="col">When</th>
                  <th scope="col">Kind</th>
                  <th scope="col">Account</th>
                  <th scope="col">Source</th>
                  <th scope="col">Evidence</th>
                  <th scope="col">State</th>
                </tr>
              </thead>
              <tbody>
                {alerts.data.alerts.map((alert) => (
                  <tr key={alert.id}>
                    <td data-label="When">{formatTime(alert.created_at)}</td>
                    <td data-label="Kind">
                      <span className={alert.kind === 'credential_compromise' ? 'badge deactivated' : 'badge'}>
                        {ALERT_KIND_WORDS[alert.kind]}
                      </span>
                    </td>
                    <td data-label="Account">
                      {alert.username}@{alert.domain}
                    </td>
                    <td data-label="Source">
                      <span>
                        <Link href={`/sip/sources/${encodeURIComponent(alert.source_ip)}`}>{alert.source_ip}</Link>
                        {alert.country && <span className="muted"> ({alert.country})</span>}
                      </span>
                    </td>
                    <td data-label="Evidence">
                      <Evidence evidence={alert.evidence} />
                    </td>
                    <td data-label="State" className="actions">
                      {alert.resolved_at ? (
                        <span>Resolved {formatTime(alert.resolved_at)}</span>
                      ) : (
                        <ConfirmButton
                          label="Resolve"
                          name={`Resolve the alert on ${alert.username}@${alert.domain} from ${alert.source_ip}`}
                          question={`Mark the alert on ${alert.username}@${alert.domain} handled? Its blocks and bans stay as they are.`}
                          disabled={resolve.isPending}
                          onConfirm={() => resolve.mutate(alert)}
                        />
                      )}
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          </TableRegion>
          <Pager skip={skip} limit={PAGE_SIZE} total={alerts.data.total} onChange={setSkip} label="Account alerts" />
        </>
      )}
    </>
  );
}
