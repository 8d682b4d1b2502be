import { DataSourceOptions } from 'typeorm';
import { DatabaseTimeouts } from '../config/app-config';
import { PreparingClient } from './prepared-statements';
import { AuditEvent } from './entities/audit-event.entity';
import { DoorKnockAttempt } from './entities/door-knock-attempt.entity';
import { FailedRegistration } from './entities/failed-registration.entity';
import { SipAllowlistEntry } from './entities/sip-allowlist-entry.entity';
import { SipBan } from './entities/sip-ban.entity';
import { User } from './entities/user.entity';
import { CreateUsers1764000000000 } from './migrations/1764000000000-CreateUsers';
import { CreateSipSecurity1764000001000 } from './migrations/1764000001000-CreateSipSecurity';
import { SipActiveBansAndAllowlistOrigin1764000002100 } from './migrations/1764000002100-SipActiveBansAndAllowlistOrigin';
import { SipProxyFeedsAndBouncers1764000003000 } from './migrations/1764000003000-SipProxyFeedsAndBouncers';
import { SipEventFilterIndexes1764000003500 } from './migrations/1764000003500-SipEventFilterIndexes';
import { MailOutbox1764000004000 } from './migrations/1764000004000-MailOutbox';
import { AuditEventsAndLastLogin1764000004100 } from './migrations/1764000004100-AuditEventsAndLastLogin';
import { EmailTokensLockoutAndSignupNotices1764000005000 } from './migrations/1764000005000-EmailTokensLockoutAndSignupNotices';
import { Sessions1764000005100 } from './migrations/1764000005100-Sessions';
import { SecondFactorAndCaptcha1764000005200 } from './migrations/1764000005200-SecondFactorAndCaptcha';
import { UserSearchIndexes1764000005300 } from './migrations/1764000005300-UserSearchIndexes';
import { AuthStateNotifications1764000005400 } from './migrations/1764000005400-AuthStateNotifications';
import { KnownDevices1764000005500 } from './migrations/1764000005500-KnownDevices';
import { SipProxyEventQueue1764000005650 } from './migrations/1764000005650-SipProxyEventQueue';
import { RefreshReuseGrace1764000006100 } from './migrations/1764000006100-RefreshReuseGrace';
import { NormalizeStoredEmails1764000006200 } from './migrations/1764000006200-NormalizeStoredEmails';
import { Invitations1764000006300 } from './migrations/1764000006300-Invitations';
import { PasskeysAndAdminFactorGrace1764000007100 } from './migrations/1764000007100-PasskeysAndAdminFactorGrace';
import { SessionDevice1764000007200 } from './migrations/1764000007200-SessionDevice';
import { PartitionSipEvents1764000007400 } from './migrations/1764000007400-PartitionSipEvents';
import { SessionNotifyOnStateChange1764000007500 } from './migrations/1764000007500-SessionNotifyOnStateChange';
import { SipAccounts1764000007600 } from './migrations/1764000007600-SipAccounts';
import { SipBanEvidence1764000007700 } from './migrations/1764000007700-SipBanEvidence';
import { SipFeeds1764000007800 } from './migrations/1764000007800-SipFeeds';
import { LiveConsoleNotifications1764000007900 } from './migrations/1764000007900-LiveConsoleNotifications';
import { WakeUpNotifications1764000008000 } from './migrations/1764000008000-WakeUpNotifications';
import { DeviceLockedFunction1764000008100 } from './migrations/1764000008100-DeviceLockedFunction';
import { PartitionRegistrationSuccesses1764000008200 } from './migrations/1764000008200-PartitionRegistrationSuccesses';

export const ENTITIES = [User, FailedRegistration, DoorKnockAttempt, SipBan, SipAllowlistEntry, AuditEvent];
export const MIGRATIONS = [
  CreateUsers1764000000000,
  CreateSipSecurity1764000001000,
  SipActiveBansAndAllowlistOrigin1764000002100,
  SipProxyFeedsAndBouncers1764000003000,
  SipEventFilterIndexes1764000003500,
  MailOutbox1764000004000,
  AuditEventsAndLastLogin1764000004100,
  EmailTokensLockoutAndSignupNotices1764000005000,
  Sessions1764000005100,
  SecondFactorAndCaptcha1764000005200,
  UserSearchIndexes1764000005300,
  AuthStateNotifications1764000005400,
  KnownDevices1764000005500,
  SipProxyEventQueue1764000005650,
  RefreshReuseGrace1764000006100,
  NormalizeStoredEmails1764000006200,
  Invitations1764000006300,
  PasskeysAndAdminFactorGrace1764000007100,
  SessionDevice1764000007200,
  PartitionSipEvents1764000007400,
  SessionNotifyOnStateChange1764000007500,
  SipAccounts1764000007600,
  SipBanEvidence1764000007700,
  SipFeeds1764000007800,
  LiveConsoleNotifications1764000007900,
  WakeUpNotifications1764000008000,
  DeviceLockedFunction1764000008100,
  PartitionRegistrationSuccesses1764000008200,
];

/**
 * A frozen server (stopped, or its host unreachable) cancels nothing: the client gives up this much after
 * the server's own statement_timeout would have fired.
 */
const CLIENT_TIMEOUT_MARGIN_MS = 1000;

/**
 * The one description of how the app (and the TypeORM CLI, through ormconfig.ts) reaches its database.
 * Without timeouts (the CLI, and the migrations run at start: run-migrations.ts) nothing is bounded: a long
 * migration must not be cut.
 */
export function buildDataSourceOptions(url: string, timeouts?: DatabaseTimeouts): DataSourceOptions {
  return {
    type: 'postgres',
    url,
    entities: ENTITIES,
    migrations: MIGRATIONS,
    // Run before the pool opens, without its timeouts (runPendingMigrations).
    migrationsRun: false,
    migrationsTransactionMode: 'each',
    synchronize: false,
    // Not 'error' or 'query': TypeORM would print query parameters, password hashes among them.
    logging: ['migration'],
    extra: {
      // The statements marked as prepared go out named (src/database/prepared-statements.ts).
      Client: PreparingClient,
      max: 20,
      application_name: 'regshield',
      // Waiting for a pooled connection counts too: with the database gone, requests fail fast (503).
      connectionTimeoutMillis: timeouts?.connectMs ?? 0,
      ...(timeouts && timeouts.statementMs > 0
        ? { statement_timeout: timeouts.statementMs, query_timeout: timeouts.statementMs + CLIENT_TIMEOUT_MARGIN_MS }
        : {}),
    },
  };
}
