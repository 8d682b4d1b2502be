import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { FormEvent, useEffect, useId, useMemo, useState } from 'react';
import { api, dataOrThrow, errorMessages, messagesByField, Schemas } from '../../api/client';
import { BarList } from '../../components/bar-list';
import { Field, FormErrors } from '../../components/field';
import { Empty, ErrorMessage, Loading, TableRegion } from '../../components/states';
import { ChartSeries, TimeChart } from '../../components/time-chart';
import { formatTime } from '../../format';

type Bucket = 'hour' | 'day';

const COLORS = { failed: '#c2410c', knocks: '#1d4ed8', bans: '#7e22ce' };

/** The SIP door: attacks over time, what they were, who sent them, and the bans and allowlist that answer them. */
export function SipPage() {
  useEffect(() => {
    document.title = 'SIP door · regshield';
  }, []);
  return (
    <>
      <h1>SIP door</h1>
      <Timeline />
      <Stats />
      <Bans />
      <Allowlist />
    </>
  );
}

function Timeline() {
  const [bucket, setBucket] = useState<Bucket>('hour');
  const groupName = useId();
  const timeline = useQuery({
    queryKey: ['sip', 'timeline', bucket],
    queryFn: async () =>
      dataOrThrow(await api.GET('/api/sip-security/stats/timeline', { params: { query: { bucket } } })),
    refetchInterval: 60_000,
  });
  const charts = useMemo(() => {
    if (!timeline.data) return undefined;
    const starts = timeline.data.map((row) => row.start);
    const events: ChartSeries[] = [
      {
        label: 'Failed registrations',
        color: COLORS.failed,
        values: timeline.data.map((row) => row.failed_registrations),
      },
      {
        label: 'Door knocks',
        color: COLORS.knocks,
        values: timeline.data.map((row) => row.door_knocks),
      },
    ];
    const bans: ChartSeries[] = [{ label: 'Bans', color: COLORS.bans, values: timeline.data.map((row) => row.bans) }];
    return { starts, events, bans };
  }, [timeline.data]);
  const per = bucket === 'hour' ? 'per hour, last 24 hours' : 'per day, last 30 days';

  return (
    <section className="card" aria-labelledby="timeline-heading">
      <h2 id="timeline-heading">Over time</h2>
      <fieldset className="segmented">
        <legend>Group by</legend>
        {(['hour', 'day'] as const).map((value) => (
          <label key={value}>
            <input
              type="radio"
              name={groupName}
              value={value}
              checked={bucket === value}
              onChange={() => setBucket(value)}
            />
            {value === 'hour' ? 'By hour' : 'By day'}
          </label>
        ))}
      </fieldset>
      {timeline.isPending && <Loading what="the timeline" />}
      {timeline.isError && <ErrorMessage error={timeline.error} />}
      {charts && (
        <div className="charts">
          <TimeChart
            title={`Failed registrations and door knocks ${per}`}
            starts={charts.starts}
            series={charts.events}
          />
          <TimeChart title={`Bans ${per}`} starts={charts.starts} series={charts.bans} bars />
        </div>
      )}
    </section>
  );
}

function banOrigin(ban: Schemas['BanDto']): string {
  if (ban.source === 'feed') return `Feed ${ban.feed ?? ''}`.trim();
  return ban.source === 'auto' ? 'Automatic' : 'Manual';
}

function banState(source: Schemas['TopSourceDto']): string {
  if (source.banned) return source.ban_expires_at ? `Banned until ${formatTime(source.ban_expires_at)}` : 'Banned';
  if (source.allowlisted) return 'Allowlisted';
  return 'Not banned';
}

function Stats() {
  const stats = useQuery({
    queryKey: ['sip', 'stats'],
    queryFn: async () => dataOrThrow(await api.GET('/api/sip-security/stats')),
    refetchInterval: 60_000,
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
                    </tr>
                  </thead>
                  <tbody>
                    {stats.data.top_sources.map((source) => (
                      <tr key={source.source_ip}>
                        <td>
                          <code>{source.source_ip}</code>
                        </td>
                        <td>{source.failed_registrations}</td>
                        <td>{source.door_knocks}</td>
                        <td>{source.total}</td>
                        <td>
                          <span className={`badge ${source.banned ? 'deactivated' : 'active'}`}>
                            {banState(source)}
                          </span>
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

const BAN_FIELDS = ['cidr', 'reason', 'duration_seconds'] as const;

function Bans() {
  const queryClient = useQueryClient();
  const [form, setForm] = useState({ cidr: '', reason: '', duration: '' });
  const [fieldErrors, setFieldErrors] = useState<Partial<Record<(typeof BAN_FIELDS)[number], string[]>>>({});
  const [formErrors, setFormErrors] = useState<string[]>([]);
  const [notice, setNotice] = useState('');
  const bans = useQuery({
    queryKey: ['sip', 'bans'],
    queryFn: async () => dataOrThrow(await api.GET('/api/sip-security/bans')),
    refetchInterval: 30_000,
  });
  const lift = useMutation({
    mutationFn: async (ban: Schemas['BanDto']) => {
      const result = await api.DELETE('/api/sip-security/bans/{id}', { params: { path: { id: ban.id } } });
      if (!result.response.ok) dataOrThrow(result);
      return ban;
    },
    onSuccess: (ban) => {
      setNotice(`Ban on ${ban.cidr} lifted.`);
      void queryClient.invalidateQueries({ queryKey: ['sip'] });
    },
  });
  const add = async (event: FormEvent) => {
    event.preventDefault();
    setFieldErrors({});
    setFormErrors([]);
    const duration = form.duration.trim() === '' ? null : Number(form.duration);
    const { data, error, response } = await api.POST('/api/sip-security/bans', {
      body: { cidr: form.cidr, reason: form.reason, duration_seconds: duration },
    });
    if (data) {
      setNotice(`${data.cidr} banned.`);
      setForm({ cidr: '', reason: '', duration: '' });
      void queryClient.invalidateQueries({ queryKey: ['sip'] });
      return;
    }
    const split = messagesByField(errorMessages(error, `Ban refused (${response.status}).`), BAN_FIELDS);
    setFieldErrors(split.fields);
    setFormErrors(split.other);
  };

  return (
    <section className="card" aria-labelledby="bans-heading">
      <h2 id="bans-heading">Active bans</h2>
      <p role="status" className="notice">
        {notice}
      </p>
      {lift.isError && <ErrorMessage error={lift.error} />}
      {bans.isPending && <Loading what="bans" />}
      {bans.isError && <ErrorMessage error={bans.error} />}
      {bans.data && bans.data.length === 0 && <Empty>No active ban.</Empty>}
      {bans.data && bans.data.length > 0 && (
        <TableRegion label="Active bans">
          <table>
            <thead>
              <tr>
                <th scope="col">CIDR</th>
                <th scope="col">Reason</th>
                <th scope="col">Source</th>
                <th scope="col">Since</th>
                <th scope="col">Until</th>
                <th scope="col">
                  <span className="visually-hidden">Actions</span>
                </th>
              </tr>
            </thead>
            <tbody>
              {bans.data.map((ban) => (
                <tr key={ban.id}>
                  <td>
                    <code>{ban.cidr}</code>
                  </td>
                  <td>{ban.reason}</td>
                  <td>{banOrigin(ban)}</td>
                  <td>{formatTime(ban.created_at)}</td>
                  <td>{ban.expires_at ? formatTime(ban.expires_at) : 'Until lifted'}</td>
                  <td>
                    <button
                      type="button"
                      aria-label={`Lift ban on ${ban.cidr}`}
                      disabled={lift.isPending}
                      onClick={() => lift.mutate(ban)}
                    >
                      Lift
                    </button>
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </TableRegion>
      )}
      <form className="inline-form" onSubmit={(event) => void add(event)} aria-label="Add a ban">
        <h3>Add a ban</h3>
        <FormErrors messages={formErrors} />
        <Field
          label="CIDR to ban"
          name="cidr"
          placeholder="203.0.113.0/24"
          required
          value={form.cidr}
          onChange={(e) => setForm({ ...form, cidr: e.target.value })}
          errors={fieldErrors.cidr}
        />
        <Field
          label="Reason"
          name="reason"
          required
          value={form.reason}
          onChange={(e) => setForm({ ...form, reason: e.target.value })}
          errors={fieldErrors.reason}
        />
        <Field
          label="Duration in seconds"
          name="duration_seconds"
          inputMode="numeric"
          hint="Empty: until lifted"
          value={form.duration}
          onChange={(e) => setForm({ ...form, duration: e.target.value })}
          errors={fieldErrors.duration_seconds}
        />
        <button type="submit" className="primary">
          Add ban
        </button>
      </form>
    </section>
  );
}

const ALLOWLIST_FIELDS = ['cidr', 'description'] as const;

function Allowlist() {
  const queryClient = useQueryClient();
  const [form, setForm] = useState({ cidr: '', description: '' });
  const [fieldErrors, setFieldErrors] = useState<Partial<Record<(typeof ALLOWLIST_FIELDS)[number], string[]>>>({});
  const [formErrors, setFormErrors] = useState<string[]>([]);
  const [notice, setNotice] = useState('');
  const entries = useQuery({
    queryKey: ['sip', 'allowlist'],
    queryFn: async () => dataOrThrow(await api.GET('/api/sip-security/allowlist')),
  });
  const remove = useMutation({
    mutationFn: async (entry: Schemas['AllowlistEntryDto']) => {
      const result = await api.DELETE('/api/sip-security/allowlist/{id}', { params: { path: { id: entry.id } } });
      if (!result.response.ok) dataOrThrow(result);
      return entry;
    },
    onSuccess: (entry) => {
      setNotice(`${entry.cidr} removed from the allowlist.`);
      void queryClient.invalidateQueries({ queryKey: ['sip'] });
    },
  });
  const add = async (event: FormEvent) => {
    event.preventDefault();
    setFieldErrors({});
    setFormErrors([]);
    const { data, error, response } = await api.POST('/api/sip-security/allowlist', {
      body: { cidr: form.cidr, description: form.description },
    });
    if (data) {
      setNotice(`${data.cidr} allowlisted.`);
      setForm({ cidr: '', description: '' });
      void queryClient.invalidateQueries({ queryKey: ['sip'] });
      return;
    }
    if (response.status === 409) {
      setFieldErrors({ cidr: ['This CIDR is already allowlisted.'] });
      return;
    }
    const split = messagesByField(errorMessages(error, `Refused (${response.status}).`), ALLOWLIST_FIELDS);
    setFieldErrors(split.fields);
    setFormErrors(split.other);
  };

  return (
    <section className="card" aria-labelledby="allowlist-heading">
      <h2 id="allowlist-heading">Allowlist</h2>
      <p className="muted">Sources in these ranges are never banned automatically.</p>
      <p role="status" className="notice">
        {notice}
      </p>
      {remove.isError && <ErrorMessage error={remove.error} />}
      {entries.isPending && <Loading what="the allowlist" />}
      {entries.isError && <ErrorMessage error={entries.error} />}
      {entries.data && entries.data.length === 0 && <Empty>The allowlist is empty.</Empty>}
      {entries.data && entries.data.length > 0 && (
        <TableRegion label="Allowlist">
          <table>
            <thead>
              <tr>
                <th scope="col">CIDR</th>
                <th scope="col">Description</th>
                <th scope="col">Added</th>
                <th scope="col">
                  <span className="visually-hidden">Actions</span>
                </th>
              </tr>
            </thead>
            <tbody>
              {entries.data.map((entry) => (
                <tr key={entry.id}>
                  <td>
                    <code>{entry.cidr}</code>
                  </td>
                  <td>{entry.description}</td>
                  <td>{formatTime(entry.created_at)}</td>
                  <td>
                    <button
                      type="button"
                      aria-label={`Remove ${entry.cidr} from the allowlist`}
                      disabled={remove.isPending}
                      onClick={() => remove.mutate(entry)}
                    >
                      Remove
                    </button>
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </TableRegion>
      )}
      <form className="inline-form" onSubmit={(event) => void add(event)} aria-label="Add to the allowlist">
        <h3>Add to the allowlist</h3>
        <FormErrors messages={formErrors} />
        <Field
          label="CIDR to allowlist"
          name="cidr"
          placeholder="198.51.100.0/24"
          required
          value={form.cidr}
          onChange={(e) => setForm({ ...form, cidr: e.target.value })}
          errors={fieldErrors.cidr}
        />
        <Field
          label="Description"
          name="description"
          placeholder="Trunk provider"
          value={form.description}
          onChange={(e) => setForm({ ...form, description: e.target.value })}
          errors={fieldErrors.description}
        />
        <button type="submit" className="primary">
          Add to allowlist
        </button>
      </form>
    </section>
  );
}
