import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useState } from 'react';
import { Link } from 'wouter';
import { api, dataOrThrow, Schemas } from '../../../api/client';
import { ConfirmButton } from '../../../components/confirm-button';
import { Empty, ErrorMessage, Loading, TableRegion } from '../../../components/states';
import { useSipRefreshInterval } from './refresh';
import { formatTime } from '../../../format';
import { BanForm } from './ban-form';
import { banPath, sourceWords } from './ban-words';

/** The bans in force, lifting one, and banning a CIDR by hand. */
export function Bans() {
  const queryClient = useQueryClient();
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
                    <Link href={banPath(ban.id)}>
                      <code>{ban.cidr}</code>
                    </Link>
                  </td>
                  <td>{ban.reason}</td>
                  <td>{sourceWords(ban)}</td>
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
      <BanForm onBanned={setNotice} />
    </section>
  );
}
