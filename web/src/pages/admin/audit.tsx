import { useQuery } from '@tanstack/react-query';
import { useEffect } from 'react';
import { Link } from 'wouter';
import { api, dataOrThrow, totalCount } from '../../api/client';
import { Field } from '../../components/field';
import { Pager } from '../../components/pager';
import { Select } from '../../components/select';
import { AuditDetails } from '../../components/audit-details';
import { Empty, ErrorMessage, Loading, TableRegion } from '../../components/states';
import { useFilterForm } from '../../components/use-filter-form';
import { formatTimeToSecond, localInputToIso } from '../../format';

const PAGE_SIZE = 50;

interface AuditFilters {
  event: string;
  actor_id: string;
  target_id: string;
  ip: string;
  since: string;
  until: string;
}

const NO_FILTERS: AuditFilters = { event: '', actor_id: '', target_id: '', ip: '', since: '', until: '' };

/** A user an event names: their address linking to their page, or the id of one since removed. */
function UserCell({ id, email, onFilter }: { id: string | null; email: string | null; onFilter: () => void }) {
  if (id === null) return <td>—</td>;
  return (
    <td>
      {email ? <Link href={`/users/${id}`}>{email}</Link> : <span className="id">{id} (removed)</span>}{' '}
      <button type="button" className="link" onClick={onFilter} aria-label={`Filter: only events of ${email ?? id}`}>
        filter
      </button>
    </td>
  );
}

/** The stored security events, newest first, with the route's filters. */
export function AuditPage() {
  const { draft, filters, skip, setSkip, change, edit, applyFilters, submit, clear } = useFilterForm(NO_FILTERS);
  useEffect(() => {
    document.title = 'Audit trail · regshield';
  }, []);

  const eventNames = useQuery({
    queryKey: ['audit-event-names'],
    queryFn: async () => dataOrThrow(await api.GET('/api/admin/audit/events')),
    staleTime: Infinity,
  });

  const events = useQuery({
    queryKey: ['audit', filters, skip],
    queryFn: async () => {
      const result = await api.GET('/api/admin/audit', {
        params: {
          query: {
            skip,
            limit: PAGE_SIZE,
            event: filters.event || undefined,
            actor_id: filters.actor_id || undefined,
            target_id: filters.target_id || undefined,
            ip: filters.ip || undefined,
            since: localInputToIso(filters.since),
            until: localInputToIso(filters.until),
          },
        },
      });
      return { events: dataOrThrow(result), total: totalCount(result.response) };
    },
  });

  const eventOptions: Array<[string, string]> = [
    ['', 'Any event'],
    ...(eventNames.data ?? []).map((name): [string, string] => [name, name]),
  ];

  return (
    <>
      <h1>Audit trail</h1>
      <form className="filters" onSubmit={submit} aria-label="Audit filters">
        <Select label="Event" value={draft.event} options={eventOptions} onChange={(event) => change('event', event)} />
        <Field label="Client IP" name="ip" value={draft.ip} onChange={edit('ip')} />
        <Field label="Actor id" name="actor_id" value={draft.actor_id} onChange={edit('actor_id')} />
        <Field label="Target id" name="target_id" value={draft.target_id} onChange={edit('target_id')} />
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
      {events.isPending && <Loading what="audit events" />}
      {events.isError && <ErrorMessage error={events.error} />}
      {events.data && events.data.events.length === 0 && <Empty>No event matches these filters.</Empty>}
      {events.data && events.data.events.length > 0 && (
        <TableRegion label="Audit events">
          <table>
            <thead>
              <tr>
                <th scope="col">Time</th>
                <th scope="col">Event</th>
                <th scope="col">IP</th>
                <th scope="col">Actor</th>
                <th scope="col">Target</th>
                <th scope="col">Details</th>
              </tr>
            </thead>
            <tbody>
              {events.data.events.map((event) => (
                <tr key={event.id}>
                  <td>
                    <time dateTime={event.time}>{formatTimeToSecond(event.time)}</time>
                  </td>
                  <td>
                    <code>{event.event}</code>
                  </td>
                  <td>{event.ip ?? '—'}</td>
                  <UserCell
                    id={event.actor_id}
                    email={event.actor_email}
                    onFilter={() => applyFilters({ ...NO_FILTERS, actor_id: event.actor_id ?? '' })}
                  />
                  <UserCell
                    id={event.target_id}
                    email={event.target_email}
                    onFilter={() => applyFilters({ ...NO_FILTERS, target_id: event.target_id ?? '' })}
                  />
                  <td>
                    <AuditDetails details={event.details} />
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </TableRegion>
      )}
      {events.data && (
        <Pager skip={skip} limit={PAGE_SIZE} total={events.data.total} onChange={setSkip} label="Audit events" />
      )}
    </>
  );
}
