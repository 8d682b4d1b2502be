import { useQuery } from '@tanstack/react-query';
import { useState } from 'react';
import { api, dataOrThrow } from '../../../api/client';
import { AddForm } from '../../../components/add-form';
import { Field } from '../../../components/field';
import { RemovableRows } from '../../../components/removable-rows';
import { useAddForm } from '../../../components/use-add-form';
import { formatTime } from '../../../format';
import { networkNotice } from './network-notice';
import { WideRangeBox } from './wide-range-box';

const ALLOWLIST_FIELDS = ['cidr', 'description'] as const;

/** The ranges never banned automatically: those of SIP_ALLOWLIST and those added here. */
export function Allowlist() {
  const [notice, setNotice] = useState('');
  const entries = useQuery({
    queryKey: ['sip', 'allowlist'],
    queryFn: async () => dataOrThrow(await api.GET('/api/sip-security/allowlist')),
  });
  const form = useAddForm({
    empty: { cidr: '', description: '', force: false },
    fields: ALLOWLIST_FIELDS,
    request: (values) => api.POST('/api/sip-security/allowlist', { body: values }),
    refusal: {
      failed: 'Refused',
      byStatus: { 409: () => ({ fields: { cidr: ['This CIDR is already allowlisted.'] } }) },
    },
    refresh: ['sip'],
    onAdded: (entry, values) => setNotice(networkNotice(values.cidr, entry.cidr, 'allowlisted')),
  });

  return (
    <section className="card" aria-labelledby="allowlist-heading">
      <h2 id="allowlist-heading">Allowlist</h2>
      <p className="muted">Sources in these ranges are never banned automatically.</p>
      <p role="status" className="notice">
        {notice}
      </p>
      <RemovableRows
        rows={entries}
        loading="the allowlist"
        empty="The allowlist is empty."
        label="Allowlist"
        columns={[
          { heading: 'CIDR', cell: (entry) => <code>{entry.cidr}</code> },
          { heading: 'Description', cell: (entry) => entry.description },
          {
            heading: 'From',
            cell: (entry) => (entry.origin === 'config' ? 'The SIP_ALLOWLIST variable' : 'Added here'),
          },
          { heading: 'Added', cell: (entry) => formatTime(entry.created_at) },
        ]}
        removal={(entry) => ({
          label: 'Remove',
          name: `Remove ${entry.cidr} from the allowlist`,
          question:
            entry.origin === 'config'
              ? `Remove ${entry.cidr}? It comes from SIP_ALLOWLIST, so it returns at the next start unless it is taken out of that variable.`
              : `Remove ${entry.cidr} from the allowlist? Its sources can be banned again.`,
        })}
        remove={(entry) => api.DELETE('/api/sip-security/allowlist/{id}', { params: { path: { id: entry.id } } })}
        refresh={['sip']}
        onRemoved={(entry) => setNotice(`${entry.cidr} removed from the allowlist.`)}
      />
      <AddForm form={form} title="Add to the allowlist" headingLevel={3} submitLabel="Add to allowlist">
        <Field label="CIDR to allowlist" placeholder="198.51.100.0/24" required {...form.field('cidr')} />
        <Field label="Description" placeholder="Trunk provider" {...form.field('description')} />
        <WideRangeBox verb="Allowlist" checked={form.values.force} onChange={(force) => form.change('force', force)} />
      </AddForm>
    </section>
  );
}
