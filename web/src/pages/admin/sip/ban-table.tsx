import { Link } from 'wouter';
import { Schemas } from '../../../api/client';
import { TableRegion } from '../../../components/states';
import { formatTime } from '../../../format';
import { banEnd, banPath, sourceWords, STATE_LABEL } from './ban-words';

/** Bans of any state, each leading to its page (its evidence): a source's history, the ban history. */
export function BanTable({ bans, label }: { bans: Array<Schemas['BanDto']>; label: string }) {
  return (
    <TableRegion label={label}>
      <table>
        <thead>
          <tr>
            <th scope="col">CIDR</th>
            <th scope="col">Reason</th>
            <th scope="col">Source</th>
            <th scope="col">State</th>
            <th scope="col">Since</th>
            <th scope="col">End</th>
          </tr>
        </thead>
        <tbody>
          {bans.map((ban) => (
            <tr key={ban.id}>
              <td>
                <Link href={banPath(ban.id)} aria-label={`Ban #${ban.id} on ${ban.cidr}`}>
                  <code>{ban.cidr}</code>
                </Link>
              </td>
              <td>{ban.reason}</td>
              <td>{sourceWords(ban)}</td>
              <td>
                <span className={ban.state === 'active' ? 'badge deactivated' : 'badge'}>{STATE_LABEL[ban.state]}</span>
              </td>
              <td>{formatTime(ban.created_at)}</td>
              <td>{banEnd(ban)}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </TableRegion>
  );
}
