import { useQuery } from '@tanstack/react-query';
import { useId, useMemo, useState } from 'react';
import { api, dataOrThrow } from '../../../api/client';
import { ErrorMessage, Loading } from '../../../components/states';
import { ChartSeries, TimeChart } from '../../../components/time-chart';

type Bucket = 'hour' | 'day';

const COLORS = { failed: '#c2410c', knocks: '#1d4ed8', bans: '#7e22ce' };

/** Failed registrations, door knocks and bans per hour or per day. */
export function Timeline() {
  const [bucket, setBucket] = useState<Bucket>('hour');
  const groupName = useId();
  const timeline = useQuery({
    queryKey: ['sip', 'timeline', bucket],
    queryFn: async () =>
      dataOrThrow(await api.GET('/api/sip-security/stats/timeline', { params: { query: { bucket } } })),
    refetchInterval: 60_000,
  });
  const charts = useMemo(() => {
    if (!timeline.data) return undefined;
    const starts = timeline.data.map((row) => row.start);
    const events: ChartSeries[] = [
      {
        label: 'Failed registrations',
        color: COLORS.failed,
        values: timeline.data.map((row) => row.failed_registrations),
      },
      {
        label: 'Door knocks',
        color: COLORS.knocks,
        values: timeline.data.map((row) => row.door_knocks),
      },
    ];
    const bans: ChartSeries[] = [{ label: 'Bans', color: COLORS.bans, values: timeline.data.map((row) => row.bans) }];
    return { starts, events, bans };
  }, [timeline.data]);
  const per = bucket === 'hour' ? 'per hour, last 24 hours' : 'per day, last 30 days';

  return (
    <section className="card" aria-labelledby="timeline-heading">
      <h2 id="timeline-heading">Over time</h2>
      <fieldset className="segmented">
        <legend>Group by</legend>
        {(['hour', 'day'] as const).map((value) => (
          <label key={value}>
            <input
              type="radio"
              name={groupName}
              value={value}
              checked={bucket === value}
              onChange={() => setBucket(value)}
            />
            {value === 'hour' ? 'By hour' : 'By day'}
          </label>
        ))}
      </fieldset>
      {timeline.isPending && <Loading what="the timeline" />}
      {timeline.isError && <ErrorMessage error={timeline.error} />}
      {charts && (
        <div className="charts">
          <TimeChart
            title={`Failed registrations and door knocks ${per}`}
            starts={charts.starts}
            series={charts.events}
          />
          <TimeChart title={`Bans ${per}`} starts={charts.starts} series={charts.bans} bars />
        </div>
      )}
    </section>
  );
}
