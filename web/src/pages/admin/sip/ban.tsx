import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { Fragment, useEffect, useState } from 'react';
import { Link } from 'wouter';
import { api, ApiError, dataOrThrow, Schemas } from '../../../api/client';
import { ConfirmButton } from '../../../components/confirm-button';
import { Panel, QuotedList } from '../../../components/panel';
import { Empty, ErrorMessage, Loading } from '../../../components/states';
import { formatTimeToSecond } from '../../../format';
import { banEnd, sourcePath, sourceWords, STATE_LABEL } from './ban-words';

type Evidence = Schemas['BanEvidenceDto'];

/** Why a ban has no evidence: who made it, or an automatic ban older than the evidence. */
const NO_EVIDENCE: Record<string, string> = {
  manual: 'A ban made by hand: its reason and the admin who made it say why.',
  feed: "A ban from a feed: the feed's list named this range.",
  auto: 'No evidence was stored with this ban (it was made before bans kept theirs).',
};

/** The address a ban names when it covers one address only: a /32 or an IPv6 /128. */
function singleAddress(cidr: string): string | undefined {
  const [address, prefix] = cidr.split('/');
  const single = address.includes(':') ? '128' : '32';
  return prefix === undefined || prefix === single ? address : undefined;
}

/** Which rule fired, in words, with the settings in force when it did. */
function ruleWords(evidence: Evidence): string {
  if (evidence.rule === 'decoy') {
    return `A decoy username was touched${evidence.decoy_username ? `: ${evidence.decoy_username}` : ''} (SIP_DECOY_USERNAMES; one touch bans)`;
  }
  return `At least ${evidence.max_retry} counted events within ${evidence.find_time_seconds} s (SIP_BAN_MAX_RETRY, SIP_BAN_FIND_TIME)`;
}

/** A time to the second, or a dash. */
function exactTime(iso: string | null): string {
  return iso ? formatTimeToSecond(iso) : '—';
}

/** What the engine saw when it made an automatic ban, as labelled facts. */
function EvidenceFacts({ evidence }: { evidence: Evidence }) {
  const counts = Object.entries(evidence.counts).sort((a, b) => b[1] - a[1]);
  return (
    <>
      <dl className="facts">
        <dt>Rule</dt>
        <dd>{ruleWords(evidence)}</dd>
        <dt>Failed registrations</dt>
        <dd>{evidence.failed_registrations}</dd>
        <dt>Door knocks</dt>
        <dd>{evidence.door_knocks}</dd>
        <dt>First event</dt>
        <dd>{exactTime(evidence.first_event_at)}</dd>
        <dt>Last event</dt>
        <dd>{exactTime(evidence.last_event_at)}</dd>
        <dt>Usernames tried</dt>
        <dd>{evidence.distinct_usernames}</dd>
      </dl>
      <h3>Counts by kind</h3>
      {counts.length === 0 ? (
        <Empty>No counted event.</Empty>
      ) : (
        <dl className="facts">
          {counts.map(([kind, count]) => (
            <Fragment key={kind}>
              <dt>{kind}</dt>
              <dd>{count}</dd>
            </Fragment>
          ))}
        </dl>
      )}
      <h3>Usernames</h3>
      <QuotedList items={evidence.usernames} label="Usernames" />
      <h3>User agents</h3>
      <QuotedList items={evidence.user_agents} label="User agents" />
      {evidence.truncated && (
        <p className="muted">More events than were read: these are from the latest 10 000 of each table.</p>
      )}
    </>
  );
}

/** An admin by e-mail address, leading to their page; the id while it loads or once the account is gone. */
function AdminLink({ id }: { id: string }) {
  const user = useQuery({
    queryKey: ['users', 'one', id],
    queryFn: async () => dataOrThrow(await api.GET('/api/admin/users/{id}', { params: { path: { id } } })),
  });
  if (user.isError) return <code>{id} (removed)</code>;
  return <Link href={`/users/${id}`}>{user.data?.email ?? id}</Link>;
}

/** One ban, whatever its state: why it was made (its evidence), by whom, until when, and lifting it. */
export function BanPage({ id }: { id: string }) {
  const queryClient = useQueryClient();
  const [notice, setNotice] = useState('');
  const banId = Number(id);
  useEffect(() => {
    document.title = `Ban #${id} · regshield`;
  }, [id]);
  const ban = useQuery({
    queryKey: ['sip', 'ban', id],
    queryFn: async () => dataOrThrow(await api.GET('/api/sip-security/bans/{id}', { params: { path: { id: banId } } })),
    enabled: Number.isSafeInteger(banId) && banId > 0,
  });
  const lift = useMutation({
    mutationFn: async () => {
      const result = await api.DELETE('/api/sip-security/bans/{id}', { params: { path: { id: banId } } });
      if (!result.response.ok) dataOrThrow(result);
    },
    onMutate: () => setNotice(''),
    onSuccess: () => {
      setNotice('Ban lifted.');
      void queryClient.invalidateQueries({ queryKey: ['sip'] });
    },
  });

  const back = (
    <p>
      <Link href="/sip">SIP door</Link>
    </p>
  );
  if (!Number.isSafeInteger(banId) || banId <= 0 || ban.isError) {
    const unknown = !ban.isError || (ban.error instanceof ApiError && ban.error.status === 404);
    return (
      <>
        {back}
        <h1>Ban #{id}</h1>
        {unknown ? <Empty>There is no ban #{id}.</Empty> : <ErrorMessage error={ban.error} />}
      </>
    );
  }
  if (ban.isPending) return <Loading what={`ban #${id}`} />;
  const b: Schemas['BanDetailDto'] = ban.data;
  const address = singleAddress(b.cidr);
  return (
    <>
      {back}
      <h1>
        Ban #{b.id} on {b.cidr}
      </h1>
      <p role="status" className="notice">
        {notice}
      </p>
      {lift.isError && <ErrorMessage error={lift.error} />}
      <div className="panels">
        <Panel title="The ban">
          <dl className="facts">
            <dt>State</dt>
            <dd>
              <span className={b.state === 'active' ? 'badge deactivated' : 'badge'}>{STATE_LABEL[b.state]}</span>
            </dd>
            <dt>Reason</dt>
            <dd>{b.reason}</dd>
            <dt>Made</dt>
            <dd>{sourceWords(b)}</dd>
            {b.created_by && (
              <>
                <dt>Made by</dt>
                <dd>
                  <AdminLink id={b.created_by} />
                </dd>
              </>
            )}
            <dt>Since</dt>
            <dd>{exactTime(b.created_at)}</dd>
            <dt>End</dt>
            <dd>{banEnd(b)}</dd>
            {b.lifted_by && (
              <>
                <dt>Lifted by</dt>
                <dd>
                  <AdminLink id={b.lifted_by} />
                </dd>
              </>
            )}
            {address && (
              <>
                <dt>Source</dt>
                <dd>
                  <Link href={sourcePath(address)}>{address}: its events and bans</Link>
                </dd>
              </>
            )}
          </dl>
          {b.state === 'active' && (
            <div className="actions">
              <ConfirmButton
                label={`Lift ban on ${b.cidr}`}
                question={`Lift the ban on ${b.cidr}? Its traffic reaches the proxy again at once.`}
                disabled={lift.isPending}
                onConfirm={() => lift.mutate()}
              />
            </div>
          )}
        </Panel>
        <Panel title="Evidence">
          {b.evidence ? <EvidenceFacts evidence={b.evidence} /> : <p>{NO_EVIDENCE[b.source] ?? NO_EVIDENCE.auto}</p>}
        </Panel>
      </div>
    </>
  );
}
