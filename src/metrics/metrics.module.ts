import { DynamicModule, Global, Module } from '@nestjs/common';
import { AppConfig } from '../config/app-config';
import { HealthModule } from '../health/health.module';
import { ACTIVE_BANS_SOURCE } from './active-bans-source';
import { HttpMetricsHook } from './http-metrics.hook';
import { MetricsTokenGuard } from './metrics-token.guard';
import { MetricsController } from './metrics.controller';
import { MetricsRepository } from './metrics.repository';
import { MetricsService } from './metrics.service';
import { SecurityEventMetrics } from './security-event-metrics';

/**
 * `GET /metrics` and what feeds it. Global so that any feature can record into MetricsService without
 * importing this module. With METRICS_ENABLED=false only MetricsService stays, so its callers need no
 * switch of their own; nothing else runs: no route, no per-request hook, no process metrics.
 */
@Global()
@Module({})
export class MetricsModule {
  static forRoot(config: AppConfig['metrics']): DynamicModule {
    const enabled = config.enabled;
    return {
      module: MetricsModule,
      // The database probe /health makes, which regshield_database_up reports at each scrape.
      imports: [HealthModule],
      controllers: enabled ? [MetricsController] : [],
      providers: [
        MetricsService,
        MetricsRepository,
        { provide: ACTIVE_BANS_SOURCE, useExisting: MetricsRepository },
        ...(enabled ? [HttpMetricsHook, SecurityEventMetrics, MetricsTokenGuard] : []),
      ],
      exports: [MetricsService],
    };
  }
}
