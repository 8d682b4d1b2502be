import { useQuery } from '@tanstack/react-query';
import { useState } from 'react';
import { Link } from 'wouter';
import { api, dataOrThrow } from '../../../api/client';
import { RemovableRows } from '../../../components/removable-rows';
import { useSipRefreshInterval } from './refresh';
import { formatTime } from '../../../format';
import { BanForm } from './ban-form';
import { banPath, sourceWords } from './ban-words';

/** The bans in force, lifting one, and banning a CIDR by hand. */
export function Bans() {
  const [notice, setNotice] = useState('');
  const refreshInterval = useSipRefreshInterval();
  const bans = useQuery({
    queryKey: ['sip', 'bans'],
    queryFn: async () => dataOrThrow(await api.GET('/api/sip-security/bans')),
    refetchInterval: refreshInterval,
  });

  return (
    <section className="card" aria-labelledby="bans-heading">
      <h2 id="bans-heading">Active bans</h2>
      <p role="status" className="notice">
        {notice}
      </p>
      <RemovableRows
        rows={bans}
        loading="bans"
        empty="No active ban."
        label="Active bans"
        columns={[
          {
            heading: 'CIDR',
            cell: (ban) => (
              <Link href={banPath(ban.id)}>
                <code>{ban.cidr}</code>
              </Link>
            ),
          },
          { heading: 'Reason', cell: (ban) => ban.reason },
          { heading: 'Source', cell: sourceWords },
          { heading: 'Since', cell: (ban) => formatTime(ban.created_at) },
          { heading: 'Until', cell: (ban) => (ban.expires_at ? formatTime(ban.expires_at) : 'Until lifted') },
        ]}
        removal={(ban) => ({
          label: 'Lift',
          name: `Lift ban on ${ban.cidr}`,
          question: `Lift the ban on ${ban.cidr}? Its traffic reaches the proxy again at once.`,
        })}
        remove={(ban) => api.DELETE('/api/sip-security/bans/{id}', { params: { path: { id: ban.id } } })}
        refresh={['sip']}
        onRemoved={(ban) => setNotice(`Ban on ${ban.cidr} lifted.`)}
      />
      <BanForm onBanned={setNotice} />
    </section>
  );
}
