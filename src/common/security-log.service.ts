import { Injectable } from '@nestjs/common';
import pino, { Logger } from 'pino';
import { AppConfig } from '../config/app-config';
import { InjectConfig } from '../config/config.module';
import { AuditBuffer, AuditRecord, toRecord } from './audit-buffer';

/** Every security event the contract names; the names are part of the SECURITY_LOG_FILE format. */
export const SECURITY_EVENTS = [
  'registration_attempt',
  'registration_rejected',
  'user_created',
  'login_succeeded',
  'login_failed',
  'login_inactive_user',
  'login_unverified_email',
  'admin_action',
  'admin_access_denied',
  'rate_limit_hit',
  'api_key_rejected',
  'sip_ban_created',
  'sip_ban_lifted',
  'sip_account_compromised',
  'sip_account_new_network',
  'sip_account_alert_resolved',
  'sip_account_blocked',
  'sip_account_unblocked',
  'mail_failed',
  'logout',
  'session_revoked',
  'refresh_token_reused',
  'email_verified',
  'password_reset_requested',
  'password_changed',
  'password_change_failed',
  'account_locked',
  'device_locked',
  'account_unlocked',
  'mfa_enabled',
  'mfa_disabled',
  'mfa_disable_failed',
  'passkey_added',
  'passkey_removed',
  'passkey_rejected',
  'captcha_rejected',
  'invitation_created',
  'invitation_revoked',
  'new_device_signin',
  'device_forgotten',
] as const;

export type SecurityEvent = (typeof SECURITY_EVENTS)[number];

const WARNINGS: ReadonlySet<SecurityEvent> = new Set([
  'registration_rejected',
  'login_failed',
  'login_inactive_user',
  'admin_access_denied',
  'rate_limit_hit',
  'api_key_rejected',
  'sip_ban_created',
  'sip_account_compromised',
  'sip_account_new_network',
  'mail_failed',
  'refresh_token_reused',
  'password_change_failed',
  'account_locked',
  'device_locked',
  'mfa_disable_failed',
  'passkey_rejected',
  'captcha_rejected',
]);

export type SecurityEventFields = { ip?: string } & Record<string, unknown>;

/** Told of every event after it is written (metrics count them); it must not throw or block. */
export type SecurityEventListener = (event: SecurityEvent, fields: Readonly<Record<string, unknown>>) => void;

/** Fields that must never reach a log line, whatever a caller passes by mistake. */
const REDACTED = [
  'password',
  'hashed_password',
  'hashedPassword',
  'token',
  'access_token',
  'refresh_token',
  'authorization',
];

/**
 * Structured security events: one JSON line each on stdout and, when SECURITY_LOG_FILE is set, appended
 * to that file (the lines deploy/fail2ban/ parses). Every write is synchronous: a line is in the file
 * when log() returns, whatever happens to the process next. The same event, with the line's time, then
 * goes to the audit table through AuditBuffer (which says why not in the same step). Admin actions take
 * the other path, AuditTrail: their row is stored by the transaction of the change, and logStored() writes
 * the line after the commit without buffering a second copy.
 */
@Injectable()
export class SecurityLogService {
  private readonly logger: Logger;
  private readonly file?: pino.DestinationStream & { flushSync?: () => void; end?: () => void };
  private readonly listeners: SecurityEventListener[] = [];
  /** The time of the event being written, read by pino's timestamp function during the (synchronous) write. */
  private eventTime = new Date();

  constructor(
    @InjectConfig() config: AppConfig,
    private readonly auditBuffer: AuditBuffer,
  ) {
    // LOG_LEVEL quiets the console only: the file always gets every event.
    const streams: pino.StreamEntry[] = [];
    if (config.logLevel !== 'silent') {
      streams.push({ level: config.logLevel, stream: pino.destination({ dest: 1, sync: true }) });
    }
    if (config.securityLogFile) {
      this.file = pino.destination({ dest: config.securityLogFile, mkdir: true, sync: true, append: true });
      streams.push({ level: 'info', stream: this.file });
    }
    this.logger = pino(
      {
        level: loggerLevel(streams),
        base: { log: 'security' },
        timestamp: () => `,"time":"${this.eventTime.toISOString()}"`,
        formatters: { level: (label) => ({ level: label }) },
        redact: { paths: REDACTED.flatMap((key) => [key, `*.${key}`]), censor: '[redacted]' },
      },
      pino.multistream(streams),
    );
  }

  log(event: SecurityEvent, fields: SecurityEventFields): void {
    const time = new Date();
    this.write(time, event, fields);
    this.auditBuffer.add(time, event, withoutSecrets(fields));
  }

  /** The line of an event whose row is already stored (auditRecord() of the same time, event and fields). */
  logStored(time: Date, event: SecurityEvent, fields: SecurityEventFields): void {
    this.write(time, event, fields);
  }

  private write(time: Date, event: SecurityEvent, fields: SecurityEventFields): void {
    this.eventTime = time;
    this.logger[WARNINGS.has(event) ? 'warn' : 'info']({ event, ...fields });
    for (const listener of this.listeners) listener(event, fields);
  }

  /** Lets another module observe the events without the code that logs them knowing about it. */
  onEvent(listener: SecurityEventListener): void {
    this.listeners.push(listener);
  }

  /**
   * Not a Nest lifecycle hook: every other part of the app (the ban engine's last tick, requests in flight)
   * may still log while Nest shuts down, so main.ts closes the log after app.close().
   */
  close(): void {
    this.file?.end?.();
  }
}

/**
 * The most verbose level a stream takes, never below info (no event is less), or silent when none: the logger
 * serialises only lines a stream writes. Without it every info event (each login's `login_succeeded`) was
 * turned into JSON only for the multistream to drop it, under LOG_LEVEL=warn and no SECURITY_LOG_FILE.
 */
function loggerLevel(streams: pino.StreamEntry[]): pino.LevelWithSilent {
  if (streams.length === 0) return 'silent';
  const mostVerbose = Math.min(...streams.map((entry) => pino.levels.values[entry.level!]));
  return pino.levels.labels[Math.max(mostVerbose, pino.levels.values.info)] as pino.Level;
}

/** The audit row of an event, as log() has it stored: the line's time and fields, secrets left out. */
export function auditRecord(time: Date, event: SecurityEvent, fields: SecurityEventFields): AuditRecord {
  return toRecord(time, event, withoutSecrets(fields));
}

/** The fields without any REDACTED key (the stored copy gets what the line shows, minus the placeholders). */
function withoutSecrets(fields: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(Object.entries(fields).filter(([key]) => !REDACTED.includes(key)));
}
