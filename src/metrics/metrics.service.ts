import { Inject, Injectable, Logger, OnModuleInit } from '@nestjs/common';
import { collectDefaultMetrics, Counter, Gauge, Registry } from 'prom-client';
import { AppConfig } from '../config/app-config';
import { InjectConfig } from '../config/config.module';
import { ACTIVE_BANS_SOURCE, ActiveBansSource } from './active-bans-source';
import { MetricsRepository } from './metrics.repository';
import { urlWithoutCredentials } from '../common/url-without-credentials';
import { HealthRepository } from '../health/health.repository';
import { HttpRequestMetrics } from './http-request-metrics';
import { errorMessage } from '../common/error-message';

export type LoginResult = 'succeeded' | 'failed' | 'inactive';
export type RegistrationResult = 'created' | 'rejected';
export type BanSource = 'auto' | 'manual';
export type SipEventTable = 'failed_registrations' | 'door_knock_attempts';
export type MailDeliveryResult = 'sent' | 'retry' | 'failed';
const MAIL_DELIVERY_RESULTS: readonly MailDeliveryResult[] = ['sent', 'retry', 'failed'];

/** How long a scrape waits for the database's answer before it reports it down. */
const DATABASE_PROBE_TIMEOUT_MS = 2000;

/** The route label of requests no route matched: one series for every unknown URL, never the URL itself. */
export const UNMATCHED_ROUTE = 'unmatched';

/**
 * The service's Prometheus metrics, kept in a registry of its own (not prom-client's global one), so two
 * applications in one process, as in the tests, never share or clash over a series. Counters are recorded
 * as things happen; gauges read their state when Prometheus scrapes.
 */
@Injectable()
export class MetricsService implements OnModuleInit {
  private readonly logger = new Logger(MetricsService.name);
  private readonly registry = new Registry();
  private readonly httpRequests = new HttpRequestMetrics(this.registry);
  private readonly logins = new Counter<'result'>({
    name: 'regshield_logins_total',
    help: 'Login attempts by result',
    labelNames: ['result'],
    registers: [this.registry],
  });
  private readonly registrations = new Counter<'result'>({
    name: 'regshield_registrations_total',
    help: 'Registrations by result',
    labelNames: ['result'],
    registers: [this.registry],
  });
  private readonly bansCreated = new Counter<'source'>({
    name: 'regshield_sip_bans_created_total',
    help: 'SIP bans created, automatic or manual',
    labelNames: ['source'],
    registers: [this.registry],
  });
  private readonly apiKeysRejected = new Counter({
    name: 'regshield_api_keys_rejected_total',
    help: 'Requests refused for a wrong X-Api-Key',
    registers: [this.registry],
  });
  private readonly rateLimitHits = new Counter<'route'>({
    name: 'regshield_rate_limit_hits_total',
    help: 'Requests refused by a per-IP rate limit, by route template',
    labelNames: ['route'],
    registers: [this.registry],
  });
  private readonly sipEventsIngested = new Counter<'table'>({
    name: 'regshield_sip_events_ingested_total',
    help: 'SIP events stored through the ingest API, by table',
    labelNames: ['table'],
    registers: [this.registry],
  });
  private readonly mailDeliveries = new Counter<'result'>({
    name: 'regshield_mail_deliveries_total',
    help: 'Attempts to send an outbox e-mail, by result: sent, retry (failed, will be tried again), failed (given up)',
    labelNames: ['result'],
    registers: [this.registry],
  });

  private readonly proxyInStep = new Gauge<'proxy'>({
    name: 'regshield_sip_proxy_in_step',
    help: 'Per proxy RPC URL (SIP_PROXY_RPC_URLS): 1 when its last ban push succeeded, 0 when it failed (retried every second)',
    labelNames: ['proxy'],
    registers: [this.registry],
  });

  private banEngineWatermark?: Date;

  constructor(
    @InjectConfig() private readonly config: AppConfig,
    repository: MetricsRepository,
    @Inject(ACTIVE_BANS_SOURCE) activeBans: ActiveBansSource,
    health: HealthRepository,
  ) {
    const logger = this.logger;
    // The gauges below need no field: the registry holds them and their collect() runs at each scrape.
    new Gauge<'state'>({
      name: 'regshield_db_pool_connections',
      help: 'Database pool connections: total open, idle, and requests waiting for one',
      labelNames: ['state'],
      registers: [this.registry],
      collect() {
        const usage = repository.readPoolUsage();
        this.set({ state: 'total' }, usage.total);
        this.set({ state: 'idle' }, usage.idle);
        this.set({ state: 'waiting' }, usage.waiting);
      },
    });
    new Gauge({
      name: 'regshield_sip_active_bans',
      help: 'SIP bans in force',
      registers: [this.registry],
      async collect() {
        try {
          this.set(await activeBans.countActiveBans());
        } catch (error) {
          // A scrape during a database outage still answers, with the last known count.
          logger.warn(`active bans not counted: ${errorMessage(error)}`);
        }
      },
    });
    new Gauge({
      name: 'regshield_mail_outbox_pending',
      help: 'E-mails in the outbox not sent yet: due now or waiting for a retry',
      registers: [this.registry],
      async collect() {
        try {
          this.set(await repository.countPendingMail());
        } catch (error) {
          logger.warn(`mail outbox not counted: ${errorMessage(error)}`);
        }
      },
    });
    new Gauge({
      name: 'regshield_database_up',
      help: `1 when the database answers a trivial query within ${DATABASE_PROBE_TIMEOUT_MS / 1000} s at scrape time, as /health asks, else 0`,
      registers: [this.registry],
      async collect() {
        this.set((await health.databaseAnswersWithin(DATABASE_PROBE_TIMEOUT_MS)) ? 1 : 0);
      },
    });
    // Present at 0 from the start, so that the first failure is an increase Prometheus can see.
    for (const result of MAIL_DELIVERY_RESULTS) this.mailDeliveries.inc({ result }, 0);
    const watermark = () => this.banEngineWatermark;
    new Gauge({
      name: 'regshield_ban_engine_lag_seconds',
      help: 'Seconds since the time up to which the ban engine has evaluated every stored event (NaN before its first report)',
      registers: [this.registry],
      collect() {
        const evaluatedUpTo = watermark();
        this.set(evaluatedUpTo === undefined ? Number.NaN : Math.max(0, (Date.now() - evaluatedUpTo.getTime()) / 1000));
      },
    });
  }

  onModuleInit(): void {
    const { enabled, token } = this.config.metrics;
    if (!enabled) return;
    // Process metrics keep their standard names (process_*, nodejs_*), which stock dashboards expect.
    collectDefaultMetrics({ register: this.registry });
    if (token === undefined && this.config.nodeEnv === 'production') {
      this.logger.warn('METRICS_TOKEN is unset: GET /metrics answers anyone who reaches this port');
    }
  }

  get contentType(): string {
    return this.registry.contentType;
  }

  render(): Promise<string> {
    return this.registry.metrics();
  }

  recordHttpRequest(method: string, route: string, statusCode: number, durationSeconds: number): void {
    this.httpRequests.record(method, route, statusCode, durationSeconds);
  }

  recordLogin(result: LoginResult): void {
    this.logins.inc({ result });
  }

  recordRegistration(result: RegistrationResult): void {
    this.registrations.inc({ result });
  }

  recordBanCreated(source: BanSource): void {
    this.bansCreated.inc({ source });
  }

  recordApiKeyRejected(): void {
    this.apiKeysRejected.inc();
  }

  recordRateLimitHit(route: string): void {
    this.rateLimitHits.inc({ route });
  }

  /** Called by the SIP module after each stored batch. */
  recordIngested(table: SipEventTable, count: number): void {
    if (count > 0) this.sipEventsIngested.inc({ table }, count);
  }

  /** Called by the outbox worker after each attempt to send a message. */
  recordMailDelivery(result: MailDeliveryResult): void {
    this.mailDeliveries.inc({ result });
  }

  /** Called by the proxy sync after each push to a proxy: whether the proxy now holds the bans it should. */
  setProxyInStep(url: string, inStep: boolean): void {
    this.proxyInStep.set({ proxy: urlWithoutCredentials(url) }, inStep ? 1 : 0);
  }

  /**
   * Called by the ban engine after each tick with the time up to which it has evaluated every stored event
   * (its snapshot's time), so the lag grows when the engine falls behind or stops, not when attacks stop.
   */
  setBanEngineWatermark(evaluatedUpTo: Date): void {
    this.banEngineWatermark = evaluatedUpTo;
  }
}
