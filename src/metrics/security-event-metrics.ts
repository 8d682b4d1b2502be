import { Injectable, OnModuleInit } from '@nestjs/common';
import { SecurityLogService } from '../common/security-log.service';
import { BanSource, LoginResult, MetricsService, RegistrationResult } from './metrics.service';

const LOGIN_RESULTS: Readonly<Record<string, LoginResult>> = {
  login_succeeded: 'succeeded',
  login_failed: 'failed',
  login_inactive_user: 'inactive',
};

const REGISTRATION_RESULTS: Readonly<Record<string, RegistrationResult>> = {
  user_created: 'created',
  registration_rejected: 'rejected',
};

const BAN_SOURCES: ReadonlySet<string> = new Set<BanSource>(['auto', 'manual']);

/**
 * Counts logins, registrations, bans, rejected API keys and rate-limit hits from the security events the
 * features already log, so the features need not know about metrics and the two can never disagree.
 */
@Injectable()
export class SecurityEventMetrics implements OnModuleInit {
  constructor(
    private readonly securityLog: SecurityLogService,
    private readonly metrics: MetricsService,
  ) {}

  onModuleInit(): void {
    this.securityLog.onEvent((event, fields) => this.count(event, fields));
  }

  // Keyed by the event's name as a string: `api_key_rejected` counts as soon as the API-key guard logs it.
  private count(event: string, fields: Readonly<Record<string, unknown>>): void {
    const login = LOGIN_RESULTS[event];
    const registration = REGISTRATION_RESULTS[event];
    if (login !== undefined) {
      this.metrics.recordLogin(login);
    } else if (registration !== undefined) {
      this.metrics.recordRegistration(registration);
    } else if (event === 'sip_ban_created' && BAN_SOURCES.has(String(fields.source))) {
      this.metrics.recordBanCreated(fields.source as BanSource);
    } else if (event === 'api_key_rejected') {
      this.metrics.recordApiKeyRejected();
    } else if (event === 'rate_limit_hit' && typeof fields.path === 'string') {
      // The throttler guard runs on matched routes only, so `path` is the route's template.
      this.metrics.recordRateLimitHit(fields.path);
    }
  }
}
