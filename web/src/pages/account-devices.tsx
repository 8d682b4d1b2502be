import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useState } from 'react';
import { api, dataOrThrow, Schemas } from '../api/client';
import { Empty, ErrorMessage, Loading, TableRegion } from '../components/states';
import { formatTime } from '../format';

type Device = Schemas['DeviceResponseDto'];

export const DEVICES_QUERY_KEY = ['devices'] as const;

/**
 * The browsers and clients that signed in to the account: a sign-in from one of them sends no new-device
 * e-mail, and it is spared the account lockout. Forgetting one makes its next sign-in new again.
 */
export function DevicesSection() {
  const queryClient = useQueryClient();
  const [notice, setNotice] = useState('');
  const devices = useQuery({
    queryKey: DEVICES_QUERY_KEY,
    queryFn: async () => dataOrThrow(await api.GET('/api/auth/devices')),
  });
  const forget = useMutation({
    mutationFn: async (device: Device) => {
      const { error, response } = await api.DELETE('/api/auth/devices/{id}', {
        params: { path: { id: device.id } },
      });
      // 404: it was forgotten already, which is what was asked.
      if (!response.ok && response.status !== 404) dataOrThrow({ error, response });
    },
    onSuccess: (_nothing, device) => {
      setNotice(`${device.browser} is forgotten: its next sign-in will be e-mailed to you as a new device.`);
      void queryClient.invalidateQueries({ queryKey: DEVICES_QUERY_KEY });
    },
  });

  return (
    <section className="card" aria-labelledby="devices-heading">
      <h2 id="devices-heading">Your devices</h2>
      <p className="muted">
        A sign-in from a browser not listed here sends you an e-mail. Forget a device you no longer use or do not
        recognise; to sign it out, end its session above.
      </p>
      <p role="status" className="notice">
        {notice}
      </p>
      {forget.isError && <ErrorMessage error={forget.error} />}
      {devices.isPending && <Loading what="your devices" />}
      {devices.isError && <ErrorMessage error={devices.error} />}
      {devices.data?.length === 0 && <Empty>No known devices.</Empty>}
      {devices.data && devices.data.length > 0 && (
        <TableRegion label="Devices">
          <table className="stack">
            <thead>
              <tr>
                <th scope="col">Browser</th>
                <th scope="col">Last IP address</th>
                <th scope="col">First seen</th>
                <th scope="col">Last seen</th>
                <th scope="col">Actions</th>
              </tr>
            </thead>
            <tbody>
              {devices.data.map((device) => (
                <tr key={device.id}>
                  <td data-label="Browser" className="agent">
                    <span title={device.user_agent ?? undefined}>
                      {device.browser}
                      {device.current && (
                        <>
                          {' '}
                          <span className="badge active">this device</span>
                        </>
                      )}
                    </span>
                  </td>
                  <td data-label="Last IP address">{device.last_ip ?? '—'}</td>
                  <td data-label="First seen">{formatTime(device.first_seen_at)}</td>
                  <td data-label="Last seen">{formatTime(device.last_seen_at)}</td>
                  <td className="actions">
                    <button
                      type="button"
                      className="danger"
                      aria-label={`Forget ${device.browser}, last seen ${formatTime(device.last_seen_at)}`}
                      disabled={forget.isPending}
                      onClick={() => forget.mutate(device)}
                    >
                      Forget
                    </button>
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </TableRegion>
      )}
    </section>
  );
}
