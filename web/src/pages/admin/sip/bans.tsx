import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { FormEvent, useState } from 'react';
import { api, dataOrThrow, Schemas } from '../../../api/client';
import { useApiForm } from '../../../api/use-api-form';
import { ConfirmButton } from '../../../components/confirm-button';
import { Field, FormErrors } from '../../../components/field';
import { Empty, ErrorMessage, Loading, TableRegion } from '../../../components/states';
import { useSipRefreshInterval } from './refresh';
import { formatTime } from '../../../format';
import { networkNotice } from './network-notice';
import { WideRangeBox } from './wide-range-box';

const BAN_FIELDS = ['cidr', 'reason', 'duration_seconds'] as const;

const SOURCE_LABEL: Record<string, string> = { auto: 'Automatic', manual: 'Manual', feed: 'Feed' };

/** The bans in force, lifting one, and banning a CIDR by hand. */
export function Bans() {
  const queryClient = useQueryClient();
  const [form, setForm] = useState({ cidr: '', reason: '', duration: '', force: false });
  const { fieldErrors, formErrors, send } = useApiForm(BAN_FIELDS);
  const [notice, setNotice] = useState('');
  const refreshInterval = useSipRefreshInterval();
  const bans = useQuery({
    queryKey: ['sip', 'bans'],
    queryFn: async () => dataOrThrow(await api.GET('/api/sip-security/bans')),
    refetchInterval: refreshInterval,
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
    const duration = form.duration.trim() === '' ? null : Number(form.duration);
    const body = { cidr: form.cidr, reason: form.reason, duration_seconds: duration, force: form.force };
    const sent = await send(() => api.POST('/api/sip-security/bans', { body }), { failed: 'Ban refused' });
    if (!sent?.data) return;
    setNotice(networkNotice(form.cidr, sent.data.cidr, 'banned'));
    setForm({ cidr: '', reason: '', duration: '', force: false });
    void queryClient.invalidateQueries({ queryKey: ['sip'] });
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
                  <td>{ban.feed ? `Feed ${ban.feed}` : (SOURCE_LABEL[ban.source] ?? ban.source)}</td>
                  <td>{formatTime(ban.created_at)}</td>
                  <td>{ban.expires_at ? formatTime(ban.expires_at) : 'Until lifted'}</td>
                  <td>
                    <ConfirmButton
                      label="Lift"
                      name={`Lift ban on ${ban.cidr}`}
                      question={`Lift the ban on ${ban.cidr}? Its traffic reaches the proxy again at once.`}
                      disabled={lift.isPending}
                      onConfirm={() => lift.mutate(ban)}
                    />
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
        <WideRangeBox verb="Ban" checked={form.force} onChange={(force) => setForm({ ...form, force })} />
        <button type="submit" className="primary">
          Add ban
        </button>
      </form>
    </section>
  );
}
