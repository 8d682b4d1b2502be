import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { FormEvent, useState } from 'react';
import { api, dataOrThrow, Schemas } from '../../../api/client';
import { useApiForm } from '../../../api/use-api-form';
import { ConfirmButton } from '../../../components/confirm-button';
import { Field, FormErrors } from '../../../components/field';
import { Empty, ErrorMessage, Loading, TableRegion } from '../../../components/states';
import { formatTime } from '../../../format';
import { networkNotice } from './network-notice';
import { WideRangeBox } from './wide-range-box';

const ALLOWLIST_FIELDS = ['cidr', 'description'] as const;

/** The ranges never banned automatically: those of SIP_ALLOWLIST and those added here. */
export function Allowlist() {
  const queryClient = useQueryClient();
  const [form, setForm] = useState({ cidr: '', description: '', force: false });
  const { fieldErrors, formErrors, send } = useApiForm(ALLOWLIST_FIELDS);
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
    const body = { cidr: form.cidr, description: form.description, force: form.force };
    const sent = await send(() => api.POST('/api/sip-security/allowlist', { body }), {
      failed: 'Refused',
      byStatus: { 409: () => ({ fields: { cidr: ['This CIDR is already allowlisted.'] } }) },
    });
    if (!sent?.data) return;
    setNotice(networkNotice(form.cidr, sent.data.cidr, 'allowlisted'));
    setForm({ cidr: '', description: '', force: false });
    void queryClient.invalidateQueries({ queryKey: ['sip'] });
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
                <th scope="col">From</th>
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
                  <td>{entry.origin === 'config' ? 'The SIP_ALLOWLIST variable' : 'Added here'}</td>
                  <td>{formatTime(entry.created_at)}</td>
                  <td>
                    <ConfirmButton
                      label="Remove"
                      name={`Remove ${entry.cidr} from the allowlist`}
                      question={
                        entry.origin === 'config'
                          ? `Remove ${entry.cidr}? It comes from SIP_ALLOWLIST, so it returns at the next start unless it is taken out of that variable.`
                          : `Remove ${entry.cidr} from the allowlist? Its sources can be banned again.`
                      }
                      disabled={remove.isPending}
                      onConfirm={() => remove.mutate(entry)}
                    />
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
        <WideRangeBox verb="Allowlist" checked={form.force} onChange={(force) => setForm({ ...form, force })} />
        <button type="submit" className="primary">
          Add to allowlist
        </button>
      </form>
    </section>
  );
}
