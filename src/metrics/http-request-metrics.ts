import { Metric, Registry } from 'prom-client';

/** prom-client's default buckets, in seconds: the ones the dashboards' quantiles (deploy/grafana) were built on. */
export const HTTP_DURATION_BUCKETS: readonly number[] = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

const REQUESTS_NAME = 'regshield_http_requests_total';
const DURATION_NAME = 'regshield_http_request_duration_seconds';

/** One method, route template and status code: its answers so far, and their durations per bucket. */
interface HttpSeries {
  labels: { method: string; route: string; status_code: string };
  count: number;
  sumSeconds: number;
  /** Answers per bucket, not cumulative: index i counts durations in (bucket i-1, bucket i]; the last is +Inf. */
  perBucket: Float64Array;
}

type MetricValue = { metricName?: string; labels: Record<string, string | number>; value: number };

/**
 * The HTTP request counter and latency histogram, kept in plain numbers that a request only increments: a
 * series is found by two Map lookups on strings Fastify already holds (method, route template) and an array
 * index (status code), with no label object, hash or string built per request. prom-client's Histogram built
 * and hashed a label set on every observation, which cost more than a tenth of an authenticated request's
 * CPU time on some CPUs (docs/BENCHMARKS.md). At scrape the same figures are handed to prom-client's registry,
 * which writes them with the names, labels and buckets prom-client's own Counter and Histogram used.
 */
export class HttpRequestMetrics {
  private readonly seriesByMethod = new Map<string, Map<string, HttpSeries[]>>();
  private readonly allSeries: HttpSeries[] = [];

  constructor(registry: Registry) {
    // The registry writes any metric whose get() returns its values; its types name only prom-client's classes.
    registry.registerMetric(
      this.family(REQUESTS_NAME, 'HTTP requests answered, by method, route template and status code', 'counter', () =>
        this.allSeries.map((series) => ({ labels: series.labels, value: series.count })),
      ),
    );
    registry.registerMetric(
      this.family(
        DURATION_NAME,
        'Time from receiving an HTTP request to the end of its answer, by method, route template and status code',
        'histogram',
        () => this.allSeries.flatMap((series) => histogramValues(series)),
      ),
    );
  }

  record(method: string, route: string, statusCode: number, durationSeconds: number): void {
    let routes = this.seriesByMethod.get(method);
    if (routes === undefined) {
      routes = new Map();
      this.seriesByMethod.set(method, routes);
    }
    let byStatus = routes.get(route);
    if (byStatus === undefined) {
      byStatus = [];
      routes.set(route, byStatus);
    }
    let series = byStatus[statusCode];
    if (series === undefined) {
      series = {
        labels: { method, route, status_code: String(statusCode) },
        count: 0,
        sumSeconds: 0,
        perBucket: new Float64Array(HTTP_DURATION_BUCKETS.length + 1),
      };
      byStatus[statusCode] = series;
      this.allSeries.push(series);
    }
    series.count += 1;
    series.sumSeconds += durationSeconds;
    let bucket = 0;
    while (bucket < HTTP_DURATION_BUCKETS.length && durationSeconds > HTTP_DURATION_BUCKETS[bucket]) bucket++;
    series.perBucket[bucket] += 1;
  }

  private family(name: string, help: string, type: 'counter' | 'histogram', values: () => MetricValue[]): Metric {
    const metric = {
      name,
      help,
      type,
      aggregator: 'sum',
      get: () => Promise.resolve({ name, help, type, aggregator: 'sum', values: values() }),
      reset: () => undefined,
    };
    return metric as unknown as Metric;
  }
}

/** What prom-client's Histogram reports for one series: cumulative buckets, +Inf, sum and count. */
function histogramValues(series: HttpSeries): MetricValue[] {
  const values: MetricValue[] = [];
  let cumulative = 0;
  HTTP_DURATION_BUCKETS.forEach((bound, i) => {
    cumulative += series.perBucket[i];
    values.push({ metricName: `${DURATION_NAME}_bucket`, labels: { le: bound, ...series.labels }, value: cumulative });
  });
  values.push(
    { metricName: `${DURATION_NAME}_bucket`, labels: { le: '+Inf', ...series.labels }, value: series.count },
    { metricName: `${DURATION_NAME}_sum`, labels: series.labels, value: series.sumSeconds },
    { metricName: `${DURATION_NAME}_count`, labels: series.labels, value: series.count },
  );
  return values;
}
