import { Injectable, OnModuleInit } from '@nestjs/common';
import { HttpAdapterHost } from '@nestjs/core';
import { FastifyInstance } from 'fastify';
import { MetricsService, UNMATCHED_ROUTE } from './metrics.service';

/**
 * Records every HTTP answer from one Fastify `onResponse` hook: it runs after the reply is sent, so it adds
 * nothing to the client's latency, and Fastify's own `elapsedTime` spares a timer of our own. The route label
 * is the matched route's template (`/api/admin/users/:id/activate`), never the URL, so the series stay few.
 */
@Injectable()
export class HttpMetricsHook implements OnModuleInit {
  constructor(
    private readonly adapterHost: HttpAdapterHost,
    private readonly metrics: MetricsService,
  ) {}

  onModuleInit(): void {
    // The CLI runs the same modules in an application context, where there is no HTTP adapter (null).
    const httpAdapter = this.adapterHost.httpAdapter as HttpAdapterHost['httpAdapter'] | null | undefined;
    if (!httpAdapter) return;
    httpAdapter.getInstance<FastifyInstance>().addHook('onResponse', (request, reply, done) => {
      this.metrics.recordHttpRequest(
        request.method,
        request.routeOptions.url ?? UNMATCHED_ROUTE,
        reply.statusCode,
        reply.elapsedTime / 1000,
      );
      done();
    });
  }
}
