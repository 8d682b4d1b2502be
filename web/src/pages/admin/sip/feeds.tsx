import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { FormEvent, useEffect, useState } from 'react';
import { api, dataOrThrow, Schemas } from '../../../api/client';
import { useApiForm } from '../../../api/use-api-form';
import { ConfirmButton } from '../../../components/confirm-button';
import { Field, FormErrors } from '../../../components/field';
import { Select } from '../../../components/select';
import { Empty, ErrorMessage, Loading, TableRegion } from '../../../components/states';
import { formatDuration, formatTime } from '../../../format';
import { SIP_REFRESH_MS } from './refresh';
import { SipPagesNav } from './sip-pages-nav';

type Feed = Schemas['FeedDto'];
type FeedFormat = Feed['format'];

/** The fields a 422's messages are shown beside; the format is a drop-down, its (unlikely) refusal the form's. */
const FEED_FIELDS = ['name', 'url', 'interval_seconds', 'api_key', 'ban_duration_seconds'] as const;

const FORMATS: Array<[FeedFormat, string]> = [
  ['plain', 'Plain list (one IP or CIDR a line)'],
  ['apiban', 'APIBan'],
  ['crowdsec', 'CrowdSec decision stream'],
];

const FORMAT_LABEL: Record<FeedFormat, string> = { plain: 'Plain list', apiban: 'APIBan', crowdsec: 'CrowdSec' };

/** A new feed is pulled within a second: until its first pull is stored, the list is read every second. */
const AWAITING_FIRST_PULL_MS = 1000;

const EMPTY_FORM = {
  name: '',
  url: '',
  format: 'plain' as FeedFormat,
  interval: '300',
  apiKey: '',
  banDuration: '',
};

/** An optional whole number typed in a field: empty is null; anything else goes to the API as typed. */
function numberOrNull(text: string): number | null {
  return text.trim() === '' ? null : Number(text);
}

/** The entries a feed listed but that were not banned, read when asked for. */
function SkippedEntries({ feed }: { feed: Feed }) {
  const detail = useQuery({
    queryKey: ['sip', 'feeds', feed.id],
    queryFn: async () =>
      dataOrThrow(await api.GET('/api/sip-security/feeds/{id}', { params: { path: { id: feed.id } } })),
  });
  return (
    <section className="card" aria-labelledby="skipped-heading">
      <h2 id="skipped-heading">Entries of {feed.name} not banned</h2>
      {detail.isPending && <Loading what="the skipped entries" />}
      {detail.isError && <ErrorMessage error={detail.error} />}
      {detail.data && detail.data.skipped_entries.length === 0 && (
        <Empty>None: every entry overlapping the allowlist or too wide would be listed here.</Empty>
      )}
      {detail.data && detail.data.skipped_entries.length > 0 && (
        <ul>
          {detail.data.skipped_entries.map((entry) => (
            <li key={entry.cidr}>
              <code>{entry.cidr}</code>:{' '}
              {entry.reason === 'allowlisted' ? 'overlaps the allowlist' : 'wider than the minimum prefix'}
            </li>
          ))}
        </ul>
      )}
    </section>
  );
}

/** Outside ban lists followed: their pulls, what they brought, adding one and deleting one. */
export function FeedsPage() {
  const queryClient = useQueryClient();
  const [form, setForm] = useState(EMPTY_FORM);
  const [notice, setNotice] = useState('');
  const [skippedOf, setSkippedOf] = useState<Feed | undefined>();
  const { submitting, fieldErrors, formErrors, send } = useApiForm(FEED_FIELDS);
  useEffect(() => {
    document.title = 'Feeds · SIP door · regshield';
  }, []);

  const feeds = useQuery({
    queryKey: ['sip', 'feeds'],
    queryFn: async () => dataOrThrow(await api.GET('/api/sip-security/feeds')),
    refetchInterval: (query) =>
      query.state.data?.some((feed) => feed.last_attempt_at === null) ? AWAITING_FIRST_PULL_MS : SIP_REFRESH_MS,
  });

  const remove = useMutation({
    mutationFn: async (feed: Feed) => {
      const result = await api.DELETE('/api/sip-security/feeds/{id}', { params: { path: { id: feed.id } } });
      if (!result.response.ok) dataOrThrow(result);
      return feed;
    },
    onSuccess: (feed) => {
      setNotice(`Feed ${feed.name} deleted; its bans are lifted.`);
      if (skippedOf?.id === feed.id) setSkippedOf(undefined);
      void queryClient.invalidateQueries({ queryKey: ['sip'] });
    },
  });

  const add = async (event: FormEvent) => {
    event.preventDefault();
    setNotice('');
    const body = {
      name: form.name,
      url: form.url,
      format: form.format,
      interval_seconds: Number(form.interval),
      api_key: form.apiKey === '' ? null : form.apiKey,
      ban_duration_seconds: numberOrNull(form.banDuration),
    };
    const sent = await send(() => api.POST('/api/sip-security/feeds', { body }), {
      failed: 'The feed was refused',
      byStatus: { 409: () => ({ fields: { name: ['A feed with this name exists.'] } }) },
    });
    if (!sent?.data) return;
    setNotice(`Feed ${sent.data.name} added; its first pull comes within a second.`);
    setForm(EMPTY_FORM);
    void queryClient.invalidateQueries({ queryKey: ['sip'] });
  };

  return (
    <>
      <h1>Feeds</h1>
      <SipPagesNav />
      <p>
        Outside ban lists this service follows: each entry becomes a ban at the proxy while the feed lists it. A feed
        that cannot be reached keeps its bans for a day (<code>SIP_FEED_STALE_AFTER</code>), then they lapse.
      </p>
      <p role="status" className="notice">
        {notice}
      </p>
      {remove.isError && <ErrorMessage error={remove.error} />}
      {feeds.isPending && <Loading what="the feeds" />}
      {feeds.isError && <ErrorMessage error={feeds.error} />}
      {feeds.data && feeds.data.length === 0 && <Empty>No feed is followed.</Empty>}
      {feeds.data && feeds.data.length > 0 && (
        <TableRegion label="Feeds">
          <table className="stack">
            <thead>
              <tr>
                <th scope="col">Name</th>
                <th scope="col">Format and URL</th>
                <th scope="col">Pulled every</th>
                <th scope="col">Last pull</th>
                <th scope="col">Last error</th>
                <th scope="col">Entries</th>
                <th scope="col">Banned</th>
                <th scope="col">Skipped</th>
                <th scope="col">
                  <span className="visually-hidden">Actions</span>
                </th>
              </tr>
            </thead>
            <tbody>
              {feeds.data.map((feed) => (
                <tr key={feed.id}>
                  <td data-label="Name">{feed.name}</td>
                  <td data-label="Format and URL">
                    <span>
                      {FORMAT_LABEL[feed.format]}: <code className="secret">{feed.url}</code>
                      {feed.api_key_set && <span className="muted"> (with a key)</span>}
                    </span>
                  </td>
                  <td data-label="Pulled every">
                    <span>
                      {formatDuration(feed.interval_seconds * 1000)}
                      {feed.ban_duration_seconds !== null && (
                        <span className="muted">
                          {' '}
                          (bans last {formatDuration(feed.ban_duration_seconds * 1000)} after a pull)
                        </span>
                      )}
                    </span>
                  </td>
                  <td data-label="Last pull">{feed.last_pulled_at ? formatTime(feed.last_pulled_at) : 'Never'}</td>
                  <td data-label="Last error">
                    {feed.last_error ?? (feed.last_attempt_at ? 'None' : 'Not pulled yet')}
                  </td>
                  <td data-label="Entries">
                    <span>
                      {feed.entries}
                      {feed.truncated && <span className="muted"> (the first 100 000: the feed listed more)</span>}
                    </span>
                  </td>
                  <td data-label="Banned">{feed.banned}</td>
                  <td data-label="Skipped">
                    {feed.skipped.allowlisted} allowlisted, {feed.skipped.too_wide} too wide, {feed.skipped.invalid}{' '}
                    invalid
                  </td>
                  <td className="actions">
                    <button
                      type="button"
                      aria-label={`Entries of ${feed.name} not banned`}
                      aria-pressed={skippedOf?.id === feed.id}
                      onClick={() => setSkippedOf(skippedOf?.id === feed.id ? undefined : feed)}
                    >
                      Not banned
                    </button>
                    <ConfirmButton
                      label="Delete"
                      name={`Delete feed ${feed.name}`}
                      question={`Stop following ${feed.name}? Its ${feed.banned} bans are lifted at once.`}
                      disabled={remove.isPending}
                      onConfirm={() => remove.mutate(feed)}
                    />
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </TableRegion>
      )}
      {skippedOf && <SkippedEntries key={skippedOf.id} feed={skippedOf} />}
      <form className="inline-form" onSubmit={(event) => void add(event)} aria-label="Add a feed">
        <h2>Add a feed</h2>
        <FormErrors messages={formErrors} />
        <Field
          label="Feed name"
          name="name"
          required
          value={form.name}
          onChange={(e) => setForm({ ...form, name: e.target.value })}
          errors={fieldErrors.name}
        />
        <Field
          label="URL"
          name="url"
          type="url"
          placeholder="https://example.net/banlist.txt"
          required
          value={form.url}
          onChange={(e) => setForm({ ...form, url: e.target.value })}
          errors={fieldErrors.url}
        />
        <Select
          label="Format"
          value={form.format}
          options={FORMATS}
          onChange={(format) => setForm({ ...form, format })}
        />
        <Field
          label="Pull every (seconds)"
          name="interval_seconds"
          inputMode="numeric"
          required
          hint="60 or more"
          value={form.interval}
          onChange={(e) => setForm({ ...form, interval: e.target.value })}
          errors={fieldErrors.interval_seconds}
        />
        <Field
          label="API key"
          name="api_key"
          type="password"
          autoComplete="off"
          hint="APIBan and CrowdSec only; never shown again"
          value={form.apiKey}
          onChange={(e) => setForm({ ...form, apiKey: e.target.value })}
          errors={fieldErrors.api_key}
        />
        <Field
          label="Ban duration (seconds)"
          name="ban_duration_seconds"
          inputMode="numeric"
          hint="Empty: while the feed lists the entry"
          value={form.banDuration}
          onChange={(e) => setForm({ ...form, banDuration: e.target.value })}
          errors={fieldErrors.ban_duration_seconds}
        />
        <button type="submit" className="primary" disabled={submitting}>
          Add feed
        </button>
      </form>
    </>
  );
}
