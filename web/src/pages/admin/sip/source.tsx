import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { FormEvent, useEffect, useState } from 'react';
import { Link } from 'wouter';
import { api, ApiError, dataOrThrow, Schemas } from '../../../api/client';
import { useApiForm } from '../../../api/use-api-form';
import { BarList } from '../../../components/bar-list';
import { ConfirmButton } from '../../../components/confirm-button';
import { Field, FormErrors } from '../../../components/field';
import { Panel, QuotedList } from '../../../components/panel';
import { Empty, ErrorMessage, Loading } from '../../../components/states';
import { formatTime } from '../../../format';
import { BanForm } from './ban-form';
import { BanTable } from './ban-table';

type Source = Schemas['SourceDto'];

/** "2001%3Adb8%3A%3A1" typed or pasted: the address itself. */
function decodedAddress(param: string): string {
  try {
    return decodeURIComponent(param);
  } catch {
    return param;
  }
}

function banStateWords(state: Source['ban_state']): string {
  if (state.banned) return state.expires_at ? `Banned until ${formatTime(state.expires_at)}` : 'Banned until lifted';
  if (state.allowlisted) return 'Allowlisted: never banned automatically';
  return 'Not banned';
}

/** One source address's story: what it sent, its bans and their evidence, and what can be done about it. */
export function SourcePage({ ip: param }: { ip: string }) {
  const ip = decodedAddress(param);
  const queryClient = useQueryClient();
  const [notice, setNotice] = useState('');
  useEffect(() => {
    document.title = `Source ${ip} · regshield`;
  }, [ip]);
  const source = useQuery({
    queryKey: ['sip', 'source', ip],
    queryFn: async (): Promise<Source> =>
      dataOrThrow(await api.GET('/api/sip-security/sources/{ip}', { params: { path: { ip } } })),
  });
  const lift = useMutation({
    mutationFn: async (ban: Schemas['BanDto']) => {
      const result = await api.DELETE('/api/sip-security/bans/{id}', { params: { path: { id: ban.id } } });
      if (!result.response.ok) dataOrThrow(result);
      return ban;
    },
    onMutate: () => setNotice(''),
    onSuccess: (ban) => {
      setNotice(`Ban on ${ban.cidr} lifted.`);
      void queryClient.invalidateQueries({ queryKey: ['sip'] });
    },
  });

  const back = (
    <p>
      <Link href="/sip">SIP door</Link>
    </p>
  );
  if (source.isPending) return <Loading what={`source ${ip}`} />;
  if (source.isError) {
    const unknown = source.error instanceof ApiError && source.error.status === 404;
    return (
      <>
        {back}
        <h1>Source {ip}</h1>
        {unknown ? (
          <Empty>Nothing is known of {ip}: no event, no registration and no ban.</Empty>
        ) : (
          <ErrorMessage error={source.error} />
        )}
      </>
    );
  }
  const s = source.data;
  const activeBans = s.bans.filter((ban) => ban.state === 'active');
  return (
    <>
      {back}
      <h1>Source {s.ip}</h1>
      <p role="status" className="notice">
        {notice}
      </p>
      {lift.isError && <ErrorMessage error={lift.error} />}

      <div className="panels">
        <Panel title="Now">
          <dl className="facts">
            <dt>State</dt>
            <dd>
              <span className={s.ban_state.banned ? 'badge deactivated' : 'badge active'}>
                {banStateWords(s.ban_state)}
              </span>
            </dd>
            {s.ban_state.reason && (
              <>
                <dt>Ban reason</dt>
                <dd>{s.ban_state.reason}</dd>
              </>
            )}
            <dt>Trusted</dt>
            <dd>
              {s.trusted ? 'Yes: it registered an account lately (SIP_TRUST_TTL) and drew no compromise alert' : 'No'}
            </dd>
            <dt>Country</dt>
            <dd>{s.country ?? 'Unknown (no GEOIP_DB, or not in it)'}</dd>
          </dl>
          <div className="actions">
            {activeBans.map((ban) => (
              <ConfirmButton
                key={ban.id}
                label={`Lift ban on ${ban.cidr}`}
                question={`Lift the ban on ${ban.cidr}? Its traffic reaches the proxy again at once.`}
                disabled={lift.isPending}
                onConfirm={() => lift.mutate(ban)}
              />
            ))}
          </div>
          {!s.ban_state.banned && <BanForm address={s.ip} onBanned={setNotice} />}
          {!s.ban_state.allowlisted && <AllowlistForm address={s.ip} onAllowlisted={setNotice} />}
        </Panel>

        <Panel title="Activity">
          <dl className="facts">
            <dt>Failed registrations</dt>
            <dd>{s.failed_registrations}</dd>
            <dt>Door knocks</dt>
            <dd>{s.door_knocks}</dd>
            <dt>First seen</dt>
            <dd>{formatTime(s.first_seen_at)}</dd>
            <dt>Last seen</dt>
            <dd>{formatTime(s.last_seen_at)}</dd>
            <dt>Usernames tried</dt>
            <dd>{s.distinct_usernames}</dd>
            <dt>Door-knock reasons</dt>
            <dd>{s.door_knock_reasons.length > 0 ? s.door_knock_reasons.join(', ') : '—'}</dd>
          </dl>
        </Panel>
      </div>

      <div className="grid">
        <BarList
          title="Events by kind"
          empty="No stored event."
          items={Object.entries(s.counts)
            .map(([label, count]) => ({ label, count }))
            .sort((a, b) => b.count - a.count)}
        />
        <Panel title="Usernames">
          <p className="muted">The most frequent first (up to 50).</p>
          <QuotedList items={s.usernames} label="Usernames" />
        </Panel>
        <Panel title="User agents">
          <p className="muted">As the sender wrote them, the most frequent first (up to 50).</p>
          <QuotedList items={s.user_agents} label="User agents" />
        </Panel>
      </div>

      <Panel title="Accounts registered from here">
        {s.registrations.length === 0 ? (
          <Empty>No account registered successfully from this address.</Empty>
        ) : (
          <table aria-label={`Accounts registered from ${s.ip}`}>
            <thead>
              <tr>
                <th scope="col">Account</th>
                <th scope="col">Registrations</th>
                <th scope="col">Last</th>
              </tr>
            </thead>
            <tbody>
              {s.registrations.map((registration) => (
                <tr key={`${registration.username}@${registration.domain}`}>
                  <td>
                    {registration.username}@{registration.domain}
                  </td>
                  <td>{registration.registrations}</td>
                  <td>{formatTime(registration.last_registered_at)}</td>
                </tr>
              ))}
            </tbody>
          </table>
        )}
      </Panel>

      <Panel title="Ban history">
        {s.bans.length === 0 ? (
          <Empty>Never banned.</Empty>
        ) : (
          <>
            <p className="muted">Every ban that covered this address, newest first; each leads to its evidence.</p>
            <BanTable bans={s.bans} label={`Bans of ${s.ip}`} />
          </>
        )}
      </Panel>
    </>
  );
}

const ALLOWLIST_FIELDS = ['cidr', 'description'] as const;

/** Allowlists one address with a description: it is never banned automatically afterwards. */
function AllowlistForm({ address, onAllowlisted }: { address: string; onAllowlisted: (notice: string) => void }) {
  const queryClient = useQueryClient();
  const [description, setDescription] = useState('');
  const { fieldErrors, formErrors, send } = useApiForm(ALLOWLIST_FIELDS);
  const submit = async (event: FormEvent) => {
    event.preventDefault();
    const body = { cidr: address, description, force: false };
    const sent = await send(() => api.POST('/api/sip-security/allowlist', { body }), {
      failed: 'Refused',
      byStatus: { 409: () => ({ form: [`${address} is already allowlisted.`] }) },
    });
    if (!sent?.data) return;
    onAllowlisted(`${sent.data.cidr} allowlisted: never banned automatically. A ban in force stays until lifted.`);
    setDescription('');
    void queryClient.invalidateQueries({ queryKey: ['sip'] });
  };
  return (
    <form className="inline-form" onSubmit={(event) => void submit(event)} aria-label="Allowlist this address">
      <h3>Allowlist this address</h3>
      <FormErrors messages={[...formErrors, ...(fieldErrors.cidr ?? [])]} />
      <Field
        label="Description"
        name="description"
        placeholder="Office NAT"
        value={description}
        onChange={(e) => setDescription(e.target.value)}
        errors={fieldErrors.description}
      />
      <button type="submit">Allowlist {address}</button>
    </form>
  );
}
