import { useQuery } from '@tanstack/react-query';
import { useEffect, useState } from 'react';
import { api, dataOrThrow, Schemas } from '../../../api/client';
import { AddForm } from '../../../components/add-form';
import { Field } from '../../../components/field';
import { RemovableRows } from '../../../components/removable-rows';
import { Select } from '../../../components/select';
import { Empty, ErrorMessage, Loading } from '../../../components/states';
import { useAddForm } from '../../../components/use-add-form';
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
  interval_seconds: '300',
  api_key: '',
  ban_duration_seconds: '',
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
  const [notice, setNotice] = useState('');
  const [skippedOf, setSkippedOf] = useState<Feed | undefined>();
  useEffect(() => {
    document.title = 'Feeds · SIP door · regshield';
  }, []);

  const feeds = useQuery({
    queryKey: ['sip', 'feeds'],
    queryFn: async () => dataOrThrow(await api.GET('/api/sip-security/feeds')),
    refetchInterval: (query) =>
      query.state.data?.some((feed) => feed.last_attempt_at === null) ? AWAITING_FIRST_PULL_MS : SIP_REFRESH_MS,
  });

  const form = useAddForm({
    empty: EMPTY_FORM,
    fields: FEED_FIELDS,
    request: (values) =>
      api.POST('/api/sip-security/feeds', {
        body: {
          name: values.name,
          url: values.url,
          format: values.format,
          interval_seconds: Number(values.interval_seconds),
          api_key: values.api_key === '' ? null : values.api_key,
          ban_duration_seconds: numberOrNull(values.ban_duration_seconds),
        },
      }),
    refusal: {
      failed: 'The feed was refused',
      byStatus: { 409: () => ({ fields: { name: ['A feed with this name exists.'] } }) },
    },
    refresh: ['sip'],
    onSubmitting: () => setNotice(''),
    onAdded: (feed) => setNotice(`Feed ${feed.name} added; its first pull comes within a second.`),
  });

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
      <RemovableRows
        rows={feeds}
        loading="the feeds"
        empty="No feed is followed."
        label="Feeds"
        stacked
        columns={[
          { heading: 'Name', cell: (feed) => feed.name },
          {
            heading: 'Format and URL',
            cell: (feed) => (
              <span>
                {FORMAT_LABEL[feed.format]}: <code className="secret">{feed.url}</code>
                {feed.api_key_set && <span className="muted"> (with a key)</span>}
              </span>
            ),
          },
          {
            heading: 'Pulled every',
            cell: (feed) => (
              <span>
                {formatDuration(feed.interval_seconds * 1000)}
                {feed.ban_duration_seconds !== null && (
                  <span className="muted">
                    {' '}
                    (bans last {formatDuration(feed.ban_duration_seconds * 1000)} after a pull)
                  </span>
                )}
              </span>
            ),
          },
          { heading: 'Last pull', cell: (feed) => (feed.last_pulled_at ? formatTime(feed.last_pulled_at) : 'Never') },
          {
            heading: 'Last error',
            cell: (feed) => feed.last_error ?? (feed.last_attempt_at ? 'None' : 'Not pulled yet'),
          },
          {
            heading: 'Entries',
            cell: (feed) => (
              <span>
                {feed.entries}
                {feed.truncated && <span className="muted"> (the first 100 000: the feed listed more)</span>}
              </span>
            ),
          },
          { heading: 'Banned', cell: (feed) => feed.banned },
          {
            heading: 'Skipped',
            cell: (feed) => (
              <>
                {feed.skipped.allowlisted} allowlisted, {feed.skipped.too_wide} too wide, {feed.skipped.invalid} invalid
              </>
            ),
          },
        ]}
        otherActions={(feed) => (
          <button
            type="button"
            aria-label={`Entries of ${feed.name} not banned`}
            aria-pressed={skippedOf?.id === feed.id}
            onClick={() => setSkippedOf(skippedOf?.id === feed.id ? undefined : feed)}
          >
            Not banned
          </button>
        )}
        removal={(feed) => ({
          label: 'Delete',
          name: `Delete feed ${feed.name}`,
          question: `Stop following ${feed.name}? Its ${feed.banned} bans are lifted at once.`,
        })}
        remove={(feed) => api.DELETE('/api/sip-security/feeds/{id}', { params: { path: { id: feed.id } } })}
        refresh={['sip']}
        onRemoved={(feed) => {
          setNotice(`Feed ${feed.name} deleted; its bans are lifted.`);
          if (skippedOf?.id === feed.id) setSkippedOf(undefined);
        }}
      />
      {skippedOf && <SkippedEntries key={skippedOf.id} feed={skippedOf} />}
      <AddForm form={form} title="Add a feed" headingLevel={2} submitLabel="Add feed">
        <Field label="Feed name" required {...form.field('name')} />
        <Field label="URL" type="url" placeholder="https://example.net/banlist.txt" required {...form.field('url')} />
        <Select
          label="Format"
          value={form.values.format}
          options={FORMATS}
          onChange={(format) => form.change('format', format)}
        />
        <Field
          label="Pull every (seconds)"
          inputMode="numeric"
          required
          hint="60 or more"
          {...form.field('interval_seconds')}
        />
        <Field
          label="API key"
          type="password"
          autoComplete="off"
          hint="APIBan and CrowdSec only; never shown again"
          {...form.field('api_key')}
        />
        <Field
          label="Ban duration (seconds)"
          inputMode="numeric"
          hint="Empty: while the feed lists the entry"
          {...form.field('ban_duration_seconds')}
        />
      </AddForm>
    </>
  );
}
