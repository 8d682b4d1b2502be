import { useQuery } from '@tanstack/react-query';
import { useState } from 'react';
import { api, dataOrThrow, totalCount } from '../../../api/client';
import { Pager } from '../../../components/pager';
import { Select } from '../../../components/select';
import { Empty, ErrorMessage, Loading } from '../../../components/states';
import { BanTable } from './ban-table';

const PAGE_SIZE = 20;

type HistoryState = 'active' | 'lifted' | 'expired' | 'all';

const STATES: Array<[HistoryState, string]> = [
  ['all', 'All'],
  ['active', 'Active'],
  ['lifted', 'Lifted'],
  ['expired', 'Expired'],
];

const NONE: Record<HistoryState, string> = {
  all: 'No ban yet.',
  active: 'No active ban.',
  lifted: 'No lifted ban.',
  expired: 'No expired ban.',
};

/** Every ban ever made, newest first, by state (lifted and expired ones included), a page at a time. */
export function BanHistory() {
  const [state, setState] = useState<HistoryState>('all');
  const [skip, setSkip] = useState(0);
  const history = useQuery({
    queryKey: ['sip', 'bans', 'history', state, skip],
    queryFn: async () => {
      const result = await api.GET('/api/sip-security/bans', {
        params: { query: { state, skip, limit: PAGE_SIZE } },
      });
      return { bans: dataOrThrow(result), total: totalCount(result.response) };
    },
    placeholderData: (previous) => previous,
  });
  return (
    <section className="card" aria-labelledby="ban-history-heading">
      <h2 id="ban-history-heading">Ban history</h2>
      <div className="filters">
        <Select
          label="Bans to show"
          value={state}
          options={STATES}
          onChange={(value) => {
            setState(value);
            setSkip(0);
          }}
        />
      </div>
      {history.isPending && <Loading what="the ban history" />}
      {history.isError && <ErrorMessage error={history.error} />}
      {history.data && history.data.bans.length === 0 && <Empty>{NONE[state]}</Empty>}
      {history.data && history.data.bans.length > 0 && (
        <>
          <BanTable bans={history.data.bans} label="Ban history" />
          <Pager skip={skip} limit={PAGE_SIZE} total={history.data.total} onChange={setSkip} label="Ban history" />
        </>
      )}
    </section>
  );
}
