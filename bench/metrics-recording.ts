import { AppConfig } from '../src/config/app-config';
import { HealthRepository } from '../src/health/health.repository';
import { MetricsRepository } from '../src/metrics/metrics.repository';
import { MetricsService } from '../src/metrics/metrics.service';

const RECORDINGS = 1_000_000;

/**
 * The CPU time one request's recording takes (MetricsService.recordHttpRequest, what the onResponse hook calls),
 * in this process, over a mix of routes and status codes: the cost of metrics per request without the
 * difference between two service instances, which on a shared machine can be larger than the cost itself.
 */
export function recordingNanoseconds(): number {
  const metrics = new MetricsService(
    { metrics: { enabled: true } } as AppConfig,
    {} as MetricsRepository,
    { countActiveBans: () => Promise.resolve(0) },
    {} as HealthRepository,
  );
  const series = ['/api/auth/me', '/api/auth/login', '/api/admin/users/:id/activate', 'unmatched'].flatMap((route) =>
    [200, 401, 404].map((status) => ({ route, status })),
  );
  const started = process.cpuUsage();
  for (let i = 0; i < RECORDINGS; i++) {
    const { route, status } = series[i % series.length];
    metrics.recordHttpRequest('GET', route, status, 0.002);
  }
  const used = process.cpuUsage(started);
  return ((used.user + used.system) * 1000) / RECORDINGS;
}
