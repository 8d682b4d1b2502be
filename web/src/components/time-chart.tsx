import { useEffect, useRef } from 'react';
import uPlot from 'uplot';
import 'uplot/dist/uPlot.min.css';
import { formatTime } from '../format';

export interface ChartSeries {
  label: string;
  color: string;
  values: number[];
}

interface TimeChartProps {
  title: string;
  /** Bucket starts, ISO times. */
  starts: string[];
  series: ChartSeries[];
  bars?: boolean;
}

const HEIGHT = 220;

/**
 * A uPlot chart over time (axes in the viewer's time zone), with the same numbers as a table for screen
 * readers and for anyone who wants the figures.
 */
export function TimeChart({ title, starts, series, bars = false }: TimeChartProps) {
  const container = useRef<HTMLDivElement>(null);

  useEffect(() => {
    const element = container.current;
    if (!element) return;
    const xs = starts.map((start) => Date.parse(start) / 1000);
    // A count covers its whole bucket: a line is a step held to the bucket's end (now, for the current one),
    // never a slope from one bucket's start into the next, which drew a diagonal into the current hour.
    const bucketSeconds = xs.length > 1 ? xs[1] - xs[0] : 3600;
    const end = xs.length > 0 ? Math.min(xs[xs.length - 1] + bucketSeconds, Date.now() / 1000) : 0;
    const data: uPlot.AlignedData = bars
      ? [xs, ...series.map((s) => s.values)]
      : [
          xs.length > 0 ? [...xs, end] : xs,
          ...series.map((s) => (s.values.length > 0 ? [...s.values, s.values[s.values.length - 1]] : s.values)),
        ];
    const paths = bars ? uPlot.paths.bars?.({ size: [0.7, 40] }) : uPlot.paths.stepped?.({ align: 1 });
    const chart = new uPlot(
      {
        width: Math.max(element.clientWidth, 280),
        height: HEIGHT,
        legend: { show: true },
        scales: { y: { range: (_u, _min, max) => [0, Math.max(1, max)] } },
        series: [
          {},
          ...series.map((s) => ({
            label: s.label,
            stroke: s.color,
            fill: bars ? s.color : undefined,
            width: 2,
            paths,
            points: { show: false },
          })),
        ],
        axes: [{}, { size: 48 }],
      },
      data,
      element,
    );
    const resize = new ResizeObserver(() =>
      chart.setSize({ width: Math.max(element.clientWidth, 280), height: HEIGHT }),
    );
    resize.observe(element);
    return () => {
      resize.disconnect();
      chart.destroy();
    };
  }, [starts, series, bars]);

  const total = series.map((s) => s.values.reduce((sum, value) => sum + value, 0));
  return (
    <figure className="chart">
      <figcaption>{title}</figcaption>
      <div
        ref={container}
        className="chart-canvas"
        role="img"
        aria-label={`${title}: ${series.map((s, i) => `${total[i]} ${s.label.toLowerCase()}`).join(', ')}`}
      />
      <details>
        <summary>{title}: the figures</summary>
        <div className="table-region" role="region" aria-label={`${title} figures`} tabIndex={0}>
          <table>
            <thead>
              <tr>
                <th scope="col">From</th>
                {series.map((s) => (
                  <th scope="col" key={s.label}>
                    {s.label}
                  </th>
                ))}
              </tr>
            </thead>
            <tbody>
              {starts.map((start, row) => (
                <tr key={start}>
                  <td>{formatTime(start)}</td>
                  {series.map((s) => (
                    <td key={s.label}>{s.values[row]}</td>
                  ))}
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      </details>
    </figure>
  );
}
