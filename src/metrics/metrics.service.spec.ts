import { AppConfig } from '../config/app-config';
import { SecurityEventListener, SecurityLogService } from '../common/security-log.service';
import { HealthRepository } from '../health/health.repository';
import { MetricsRepository } from './metrics.repository';
import { MetricsService } from './metrics.service';
import { SecurityEventMetrics } from './security-event-metrics';

function metricsWith(
  activeBans: () => Promise<number> = () => Promise.resolve(3),
  pendingMail: () => Promise<number> = () => Promise.resolve(0),
  databaseAnswers: () => Promise<boolean> = () => Promise.resolve(true),
) {
  const repository = {
    readPoolUsage: () => ({ total: 4, idle: 3, waiting: 0 }),
    countPendingMail: pendingMail,
  } as unknown as MetricsRepository;
  const health = { databaseAnswersWithin: databaseAnswers } as unknown as HealthRepository;
  return new MetricsService(
    { metrics: { enabled: true } } as AppConfig,
    repository,
    { countActiveBans: activeBans },
    health,
  );
}

function line(text: string, prefix: string): string | undefined {
  return text.split('\n').find((row) => row.startsWith(prefix));
}

describe('MetricsService', () => {
  it('reads the gauges at scrape time', async () => {
    let bans = 3;
    const metrics = metricsWith(() => Promise.resolve(bans));
    expect(line(await metrics.render(), 'regshield_sip_active_bans ')).toBe('regshield_sip_active_bans 3');
    bans = 5;
    const text = await metrics.render();
    expect(line(text, 'regshield_sip_active_bans ')).toBe('regshield_sip_active_bans 5');
    expect(line(text, 'regshield_db_pool_connections{state="idle"}')).toBe(
      'regshield_db_pool_connections{state="idle"} 3',
    );
  });

  it('still answers a scrape when the active bans cannot be counted', async () => {
    const metrics = metricsWith(() => Promise.reject(new Error('database down')));
    await expect(metrics.render()).resolves.toContain('regshield_sip_active_bans');
  });

  it('reads the mail outbox depth at scrape time, and still answers when it cannot be counted', async () => {
    let pending: () => Promise<number> = () => Promise.resolve(7);
    const metrics = metricsWith(undefined, () => pending());
    expect(line(await metrics.render(), 'regshield_mail_outbox_pending ')).toBe('regshield_mail_outbox_pending 7');
    pending = () => Promise.reject(new Error('database down'));
    expect(line(await metrics.render(), 'regshield_mail_outbox_pending ')).toBe('regshield_mail_outbox_pending 7');
  });

  it('reports the ban-engine lag from its watermark, NaN before the first report', async () => {
    const metrics = metricsWith();
    // prom-client writes NaN as `Nan`; Prometheus reads the special values case-insensitively.
    expect(line(await metrics.render(), 'regshield_ban_engine_lag_seconds ')).toMatch(/ nan$/i);
    metrics.setBanEngineWatermark(new Date(Date.now() - 30_000));
    const lag = Number(line(await metrics.render(), 'regshield_ban_engine_lag_seconds ')?.split(' ')[1]);
    expect(lag).toBeGreaterThanOrEqual(30);
    expect(lag).toBeLessThan(35);
  });

  it('reports the database up or down at scrape time', async () => {
    let answers = true;
    const metrics = metricsWith(undefined, undefined, () => Promise.resolve(answers));
    expect(line(await metrics.render(), 'regshield_database_up ')).toBe('regshield_database_up 1');
    answers = false;
    expect(line(await metrics.render(), 'regshield_database_up ')).toBe('regshield_database_up 0');
  });

  it('counts mail deliveries by result, every result present from the start', async () => {
    const metrics = metricsWith();
    expect(line(await metrics.render(), 'regshield_mail_deliveries_total{result="retry"}')).toMatch(/ 0$/);
    metrics.recordMailDelivery('retry');
    metrics.recordMailDelivery('retry');
    metrics.recordMailDelivery('sent');
    const text = await metrics.render();
    expect(line(text, 'regshield_mail_deliveries_total{result="retry"}')).toMatch(/ 2$/);
    expect(line(text, 'regshield_mail_deliveries_total{result="sent"}')).toMatch(/ 1$/);
    expect(line(text, 'regshield_mail_deliveries_total{result="failed"}')).toMatch(/ 0$/);
  });

  it('reports each proxy in or out of step, labelled by its URL without credentials', async () => {
    const metrics = metricsWith();
    metrics.setProxyInStep('http://rpc:secret@10.0.0.5:5060/RPC', true);
    metrics.setProxyInStep('http://10.0.0.6:5060/RPC', true);
    metrics.setProxyInStep('http://10.0.0.6:5060/RPC', false);
    const text = await metrics.render();
    expect(line(text, 'regshield_sip_proxy_in_step{proxy="http://10.0.0.5:5060/RPC"}')).toMatch(/ 1$/);
    expect(line(text, 'regshield_sip_proxy_in_step{proxy="http://10.0.0.6:5060/RPC"}')).toMatch(/ 0$/);
    expect(text).not.toContain('secret');
  });

  it('counts ingested SIP events by table', async () => {
    const metrics = metricsWith();
    metrics.recordIngested('failed_registrations', 1000);
    metrics.recordIngested('failed_registrations', 0);
    metrics.recordIngested('door_knock_attempts', 2);
    const text = await metrics.render();
    expect(line(text, 'regshield_sip_events_ingested_total{table="failed_registrations"}')).toMatch(/ 1000$/);
    expect(line(text, 'regshield_sip_events_ingested_total{table="door_knock_attempts"}')).toMatch(/ 2$/);
  });
});

describe('SecurityEventMetrics', () => {
  it('counts each event the metrics know, and ignores the others', async () => {
    let listener: SecurityEventListener | undefined;
    const securityLog = {
      onEvent: (registered: SecurityEventListener) => {
        listener = registered;
      },
    } as unknown as SecurityLogService;
    const metrics = metricsWith();
    new SecurityEventMetrics(securityLog, metrics).onModuleInit();
    const emit = (event: string, fields: Record<string, unknown> = {}) =>
      listener!(event as Parameters<SecurityEventListener>[0], fields);

    emit('login_succeeded');
    emit('login_failed', { reason: 'wrong_password' });
    emit('login_failed', { reason: 'unknown_email' });
    emit('login_inactive_user');
    emit('user_created');
    emit('registration_rejected', { reason: 'email_taken' });
    emit('sip_ban_created', { source: 'auto' });
    emit('sip_ban_created', { source: 'something else' });
    emit('api_key_rejected');
    emit('rate_limit_hit', { path: '/api/auth/login' });
    emit('admin_action', { action: 'activate' });

    const text = await metrics.render();
    expect(line(text, 'regshield_logins_total{result="succeeded"}')).toMatch(/ 1$/);
    expect(line(text, 'regshield_logins_total{result="failed"}')).toMatch(/ 2$/);
    expect(line(text, 'regshield_logins_total{result="inactive"}')).toMatch(/ 1$/);
    expect(line(text, 'regshield_registrations_total{result="created"}')).toMatch(/ 1$/);
    expect(line(text, 'regshield_registrations_total{result="rejected"}')).toMatch(/ 1$/);
    expect(line(text, 'regshield_sip_bans_created_total{source="auto"}')).toMatch(/ 1$/);
    expect(text).not.toContain('something else');
    expect(line(text, 'regshield_api_keys_rejected_total ')).toBe('regshield_api_keys_rejected_total 1');
    expect(line(text, 'regshield_rate_limit_hits_total{route="/api/auth/login"}')).toMatch(/ 1$/);
  });
});
