import { Counter, Histogram, Registry } from 'prom-client';
import { HttpRequestMetrics } from './http-request-metrics';

const OBSERVATIONS: Array<[string, string, number, number]> = [
  ['GET', '/api/auth/me', 200, 0.0004],
  ['GET', '/api/auth/me', 200, 0.005],
  ['GET', '/api/auth/me', 401, 0.0051],
  ['POST', '/api/auth/login', 200, 0.09],
  ['POST', '/api/auth/login', 200, 2.5],
  ['POST', '/api/auth/login', 429, 11],
  ['GET', 'unmatched', 404, 0.25],
  ['GET', '/api/admin/users/:id/activate', 404, 0.0001],
];

/** The exposition prom-client's own Counter and Histogram wrote for the same requests (what the service had). */
async function promClientText(): Promise<string> {
  const registry = new Registry();
  const labelNames = ['method', 'route', 'status_code'] as const;
  const counter = new Counter({
    name: 'regshield_http_requests_total',
    help: 'HTTP requests answered, by method, route template and status code',
    labelNames,
    registers: [registry],
  });
  const histogram = new Histogram({
    name: 'regshield_http_request_duration_seconds',
    help: 'Time from receiving an HTTP request to the end of its answer, by method, route template and status code',
    labelNames,
    registers: [registry],
  });
  for (const [method, route, status, seconds] of OBSERVATIONS) {
    const labels = { method, route, status_code: String(status) };
    counter.inc(labels);
    histogram.observe(labels, seconds);
  }
  return registry.metrics();
}

describe('HttpRequestMetrics', () => {
  it('writes exactly what prom-client’s Counter and Histogram wrote for the same requests', async () => {
    const registry = new Registry();
    const metrics = new HttpRequestMetrics(registry);
    for (const [method, route, status, seconds] of OBSERVATIONS) metrics.record(method, route, status, seconds);
    expect(await registry.metrics()).toBe(await promClientText());
  });

  it('writes the families with no series before the first request, as prom-client did', async () => {
    const registry = new Registry();
    new HttpRequestMetrics(registry);
    const text = await registry.metrics();
    expect(text).toContain('# TYPE regshield_http_requests_total counter');
    expect(text).toContain('# TYPE regshield_http_request_duration_seconds histogram');
    expect(text).not.toContain('regshield_http_requests_total{');
  });

  it('counts a duration equal to a bucket’s bound in that bucket (le is “less than or equal”)', async () => {
    const registry = new Registry();
    const metrics = new HttpRequestMetrics(registry);
    metrics.record('GET', '/x', 200, 0.01);
    const text = await registry.metrics();
    expect(text).toContain(
      'regshield_http_request_duration_seconds_bucket{le="0.005",method="GET",route="/x",status_code="200"} 0',
    );
    expect(text).toContain(
      'regshield_http_request_duration_seconds_bucket{le="0.01",method="GET",route="/x",status_code="200"} 1',
    );
  });
});
