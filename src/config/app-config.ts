import { plainToInstance, Transform } from 'class-transformer';
import { accessSync, constants, statSync } from 'node:fs';
import {
  IsEmail,
  IsIn,
  IsInt,
  IsOptional,
  IsString,
  Matches,
  Max,
  Min,
  MinLength,
  validateSync,
} from 'class-validator';
import { emailKey, normalizeDomain, normalizeEmail } from '../auth/email';
import { parseCidrList } from '../common/cidr';
import { formatValidationErrors } from '../common/validation-messages';

export const REGISTRATION_MODES = ['approval', 'admin_only', 'open'] as const;
export type RegistrationMode = (typeof REGISTRATION_MODES)[number];

export const EMAIL_VERIFICATION_MODES = ['off', 'optional', 'required'] as const;
export type EmailVerificationMode = (typeof EMAIL_VERIFICATION_MODES)[number];

export const ADMIN_NOTIFY_MODES = ['off', 'each', 'digest'] as const;
export type AdminNotifyMode = (typeof ADMIN_NOTIFY_MODES)[number];
export const CAPTCHA_MODES = ['off', 'altcha'] as const;
export type CaptchaMode = (typeof CAPTCHA_MODES)[number];
/** What the rate limits do while Redis (REDIS_URL) does not answer: see docs/CONFIGURATION.md. */
export const RATE_LIMIT_REDIS_FAILURE_MODES = ['local', 'open', 'closed'] as const;
export type RateLimitRedisFailureMode = (typeof RATE_LIMIT_REDIS_FAILURE_MODES)[number];

/** Which second factor a superuser must have for the admin routes (src/passkeys/admin-factor-policy.service.ts). */
export const ADMIN_MFA_POLICIES = ['off', 'any', 'passkey'] as const;
export type AdminMfaPolicy = (typeof ADMIN_MFA_POLICIES)[number];

export const NODE_ENVS = ['development', 'production', 'test'] as const;
export type NodeEnv = (typeof NODE_ENVS)[number];

/** pino's levels, plus `silent` for no console output at all. */
export const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

/** The decoy names the proxy and the engine compare with (lower case); restricted to what needs no quoting anywhere. */
const SIP_DECOY_USERNAME = /^[A-Za-z0-9._~+-]{1,64}$/;

/** What a rule about a SIP account does when it fires: store an alert, or also block the account at the proxy. */
export const SIP_ACCOUNT_ACTIONS = ['block', 'alert'] as const;
export type SipAccountAction = (typeof SIP_ACCOUNT_ACTIONS)[number];

const toInt = ({ value }: { value: unknown }) =>
  typeof value === 'string' && /^-?\d+$/.test(value.trim()) ? Number(value.trim()) : value;
const emptyToUndefined = ({ value }: { value: unknown }) =>
  typeof value === 'string' && value.trim() === '' ? undefined : value;
const toList = ({ value }: { value: unknown }) =>
  typeof value === 'string'
    ? value
        .split(',')
        .map((item) => item.trim())
        .filter((item) => item !== '')
    : value;

/**
 * The environment as the service reads it, validated once at start-up.
 * Property names are the variables' names so that a validation message names the variable.
 */
class EnvironmentVariables {
  @IsIn(NODE_ENVS)
  NODE_ENV: NodeEnv = 'development';

  @Transform(toInt)
  @IsInt()
  @Min(0)
  @Max(65535)
  PORT: number = 3000;

  @Transform(emptyToUndefined)
  @IsOptional()
  @Matches(/^postgres(ql)?:\/\//, { message: 'DATABASE_URL must be a postgres:// or postgresql:// URL' })
  DATABASE_URL?: string;

  /** `off` where no embedded PostgreSQL can run or should (the container image sets it): DATABASE_URL is required. */
  @IsIn(['on', 'off'])
  EMBEDDED_DATABASE: 'on' | 'off' = 'on';

  @IsString()
  @MinLength(1)
  DATA_DIR: string = './.data';

  @Transform(emptyToUndefined)
  @IsOptional()
  @IsString()
  @MinLength(32, { message: 'JWT_SECRET must be at least 32 characters long' })
  JWT_SECRET?: string;

  @Transform(toInt)
  @IsInt()
  @Min(1)
  JWT_EXPIRES_IN: number = 900;

  /** Seconds a session (its refresh token chain) lives at most, counted from login. */
  @Transform(toInt)
  @IsInt()
  @Min(1)
  REFRESH_TOKEN_TTL: number = 1_209_600;

  /** Seconds during which the refresh token just spent, presented again by the same client, is not reuse. */
  @Transform(toInt)
  @IsInt()
  @Min(0)
  @Max(60)
  REFRESH_REUSE_GRACE: number = 10;

  /** Checked in its normal form (see normalizeEmail), as it will be stored. */
  @Transform((params) => {
    const value = emptyToUndefined(params);
    return typeof value === 'string' ? emailKey(value) : value;
  })
  @IsOptional()
  @IsEmail()
  ADMIN_EMAIL?: string;

  @Transform(emptyToUndefined)
  @IsOptional()
  @IsString()
  ADMIN_PASSWORD?: string;

  @IsIn(REGISTRATION_MODES)
  REGISTRATION_MODE: RegistrationMode = 'approval';

  @Transform(toList)
  @IsString({ each: true })
  REGISTRATION_ALLOWED_DOMAINS: string[] = [];

  @Transform(toInt)
  @IsInt()
  @Min(1)
  REGISTER_RATE_LIMIT: number = 3;

  @Transform(toInt)
  @IsInt()
  @Min(1)
  REGISTER_RATE_TTL: number = 3600;

  @Transform(toInt)
  @IsInt()
  @Min(1)
  LOGIN_RATE_LIMIT: number = 10;

  @Transform(toInt)
  @IsInt()
  @Min(1)
  LOGIN_RATE_TTL: number = 60;

  /** Wrong X-Api-Key values per client IP per API_KEY_RATE_TTL seconds before 429. */
  @Transform(toInt)
  @IsInt()
  @Min(1)
  API_KEY_RATE_LIMIT: number = 20;

  @Transform(toInt)
  @IsInt()
  @Min(1)
  API_KEY_RATE_TTL: number = 60;

  @Transform(emptyToUndefined)
  @IsOptional()
  @IsString()
  TRUST_PROXY?: string;

  @Transform(emptyToUndefined)
  @IsOptional()
  @Matches(/^rediss?:\/\//, { message: 'REDIS_URL must be a redis:// or rediss:// URL' })
  REDIS_URL?: string;

  @IsIn(RATE_LIMIT_REDIS_FAILURE_MODES)
  RATE_LIMIT_REDIS_FAILURE: RateLimitRedisFailureMode = 'local';

  @Transform(emptyToUndefined)
  @IsOptional()
  @IsString()
  SECURITY_LOG_FILE?: string;

  @Transform(emptyToUndefined)
  @IsOptional()
  @IsString()
  @MinLength(16, { message: 'SIP_INGEST_API_KEY must be at least 16 characters long' })
  SIP_INGEST_API_KEY?: string;

  @Transform(toInt)
  @IsInt()
  @Min(1)
  SIP_BAN_MAX_RETRY: number = 5;

  @Transform(toInt)
  @IsInt()
  @Min(1)
  SIP_BAN_FIND_TIME: number = 600;

  @Transform(toInt)
  @IsInt()
  @Min(1)
  SIP_BAN_TIME: number = 3600;

  @Transform(toInt)
  @IsInt()
  @Min(1)
  SIP_BAN_TIME_FACTOR: number = 2;

  @Transform(toInt)
  @IsInt()
  @Min(1)
  SIP_BAN_MAX_TIME: number = 604800;

  @Transform(toInt)
  @IsInt()
  @Min(1)
  @Max(128)
  SIP_BAN_IPV6_PREFIX: number = 64;

  @Transform(toList)
  @IsString({ each: true })
  SIP_ALLOWLIST: string[] = ['127.0.0.0/8', '::1/128'];

  @Transform(toInt)
  @IsInt()
  @Min(0)
  @Max(32)
  SIP_MIN_PREFIX_IPV4: number = 8;

  @Transform(toInt)
  @IsInt()
  @Min(0)
  @Max(128)
  SIP_MIN_PREFIX_IPV6: number = 32;

  @Transform(toList)
  @Matches(/^https?:\/\/[^\s]+$/, {
    each: true,
    message: 'SIP_PROXY_RPC_URLS must be a comma list of http:// or https:// URLs',
  })
  SIP_PROXY_RPC_URLS: string[] = [];

  @Transform(toInt)
  @IsInt()
  @Min(0)
  @Max(36500)
  SIP_EVENT_RETENTION_DAYS: number = 90;

  @Transform(toList)
  @Matches(SIP_DECOY_USERNAME, {
    each: true,
    message: 'SIP_DECOY_USERNAMES must be a comma list of SIP user names (1 to 64 of: letters, digits, . _ ~ + -)',
  })
  SIP_DECOY_USERNAMES: string[] = [];

  @Transform(toInt)
  @IsInt()
  @Min(1)
  SIP_FEED_STALE_AFTER: number = 86400;
  @IsIn(SIP_ACCOUNT_ACTIONS)
  SIP_COMPROMISE_ACTION: SipAccountAction = 'block';

  @IsIn(SIP_ACCOUNT_ACTIONS)
  SIP_NEW_NETWORK_ACTION: SipAccountAction = 'alert';

  @Transform(toInt)
  @IsInt()
  @Min(1)
  @Max(3650)
  SIP_ACCOUNT_HISTORY_DAYS: number = 30;

  @Transform(toInt)
  @IsInt()
  @Min(1)
  SIP_TRUST_TTL: number = 86400;

  @Transform(toInt)
  @IsInt()
  @Min(1)
  SIP_TRUSTED_MAX_RETRY: number = 50;

  @Transform(emptyToUndefined)
  @IsOptional()
  @IsString()
  GEOIP_DB?: string;

  @IsIn(LOG_LEVELS)
  LOG_LEVEL: LogLevel = 'info';

  /** Unset: http://localhost:$PORT. */
  @Transform(emptyToUndefined)
  @IsOptional()
  @Matches(/^https?:\/\/[^\s?#]+$/, {
    message: 'PUBLIC_URL must be an http:// or https:// URL without query or fragment',
  })
  PUBLIC_URL?: string;

  /** Unset: every e-mail is written as an .eml file under DATA_DIR/mail/. */
  @Transform(emptyToUndefined)
  @IsOptional()
  @Matches(/^smtps?:\/\/[^\s]+$/, { message: 'SMTP_URL must be an smtp:// or smtps:// URL' })
  SMTP_URL?: string;

  @IsString()
  @MinLength(3)
  MAIL_FROM: string = 'regshield <no-reply@localhost>';

  /** Sending attempts of one e-mail before it is given up as failed. */
  @Transform(toInt)
  @IsInt()
  @Min(1)
  MAIL_MAX_ATTEMPTS: number = 10;

  /** The first retry waits about this long; each further one twice as long (with jitter), up to an hour. */
  @Transform(toInt)
  @IsInt()
  @Min(1)
  MAIL_RETRY_BASE_MS: number = 5000;

  /** How often each instance looks for e-mails due; one enqueued by this instance is sent at once. */
  @Transform(toInt)
  @IsInt()
  @Min(10)
  MAIL_POLL_INTERVAL_MS: number = 1000;

  @IsIn(EMAIL_VERIFICATION_MODES)
  EMAIL_VERIFICATION: EmailVerificationMode = 'optional';

  @Transform(toInt)
  @IsInt()
  @Min(1)
  EMAIL_VERIFICATION_TTL: number = 86400;

  @Transform(toInt)
  @IsInt()
  @Min(1)
  PASSWORD_RESET_TTL: number = 1800;

  @Transform(toInt)
  @IsInt()
  @Min(1)
  INVITATION_TTL: number = 604800;

  /** Forgot-password and verification-resend requests per client IP per PASSWORD_FORGOT_RATE_TTL. */
  @Transform(toInt)
  @IsInt()
  @Min(1)
  PASSWORD_FORGOT_RATE_LIMIT: number = 10;

  /** The same requests per e-mail address (whoever sends them) per PASSWORD_FORGOT_RATE_TTL. */
  @Transform(toInt)
  @IsInt()
  @Min(1)
  PASSWORD_FORGOT_EMAIL_RATE_LIMIT: number = 3;

  @Transform(toInt)
  @IsInt()
  @Min(1)
  PASSWORD_FORGOT_RATE_TTL: number = 3600;

  @IsIn(ADMIN_NOTIFY_MODES)
  ADMIN_NOTIFY: AdminNotifyMode = 'digest';

  @Transform(toInt)
  @IsInt()
  @Min(1)
  ADMIN_NOTIFY_INTERVAL: number = 900;

  /** 0 turns lockout off. */
  @Transform(toInt)
  @IsInt()
  @Min(0)
  ACCOUNT_LOCKOUT_MAX_FAILURES: number = 10;

  /** Seconds a browser that signed in stays exempt from its account's lock (src/devices) after its last sign-in. */
  @Transform(toInt)
  @IsInt()
  @Min(1)
  DEVICE_COOKIE_TTL: number = 7_776_000;

  /** An e-mail to the owner on each sign-in from a device the account has not used before (src/devices). */
  @IsIn(['true', 'false'])
  NEW_DEVICE_NOTICES: 'true' | 'false' = 'true';

  /** Attempts to turn off the second factor, per client IP and per account, per MFA_DISABLE_RATE_TTL. */
  @Transform(toInt)
  @IsInt()
  @Min(1)
  MFA_DISABLE_RATE_LIMIT: number = 5;

  @Transform(toInt)
  @IsInt()
  @Min(1)
  MFA_DISABLE_RATE_TTL: number = 900;

  @Transform(toInt)
  @IsInt()
  @Min(1)
  ACCOUNT_LOCKOUT_TIME: number = 60;

  @Transform(toInt)
  @IsInt()
  @Min(1)
  ACCOUNT_LOCKOUT_MAX_TIME: number = 900;

  @Transform(toInt)
  @IsInt()
  @Min(1)
  AUDIT_RETENTION_DAYS: number = 365;

  @Transform(toInt)
  @IsInt()
  @Min(0)
  DB_STATEMENT_TIMEOUT_MS: number = 10_000;

  @Transform(toInt)
  @IsInt()
  @Min(1)
  DB_CONNECT_TIMEOUT_MS: number = 5000;

  @Transform(toInt)
  @IsInt()
  @Min(0)
  SHUTDOWN_TIMEOUT_MS: number = 10_000;

  @Transform(toInt)
  @IsInt()
  @Min(0)
  SHUTDOWN_DRAIN_DELAY_MS: number = 0;

  /** Encrypts TOTP secrets at rest; unset outside production: derived from the JWT secret (src/mfa/secret-cipher.ts). */
  @Transform(emptyToUndefined)
  @IsOptional()
  @IsString()
  @MinLength(32, { message: 'MFA_ENCRYPTION_KEY must be at least 32 characters long' })
  MFA_ENCRYPTION_KEY?: string;

  /** Keys that TOTP secrets may still be encrypted with while MFA_ENCRYPTION_KEY is being rotated. */
  @Transform(toList)
  @IsString({ each: true })
  @MinLength(32, { each: true, message: 'MFA_ENCRYPTION_KEY_PREVIOUS must list keys of at least 32 characters' })
  MFA_ENCRYPTION_KEY_PREVIOUS: string[] = [];

  @IsIn(ADMIN_MFA_POLICIES)
  ADMIN_MFA_REQUIRED: AdminMfaPolicy = 'off';

  /** Days a superuser keeps the admin routes without the factor ADMIN_MFA_REQUIRED asks for; 0: none. */
  @Transform(toInt)
  @IsInt()
  @Min(0)
  @Max(3650)
  ADMIN_MFA_GRACE_DAYS: number = 14;

  @IsIn(['on', 'off'])
  PASSWORD_BLOCKLIST: 'on' | 'off' = 'on';

  @IsIn(CAPTCHA_MODES)
  CAPTCHA: CaptchaMode = 'off';

  /** Signs ALTCHA challenges; unset outside production: derived from the JWT secret. */
  @Transform(emptyToUndefined)
  @IsOptional()
  @IsString()
  @MinLength(32, { message: 'CAPTCHA_HMAC_KEY must be at least 32 characters long' })
  CAPTCHA_HMAC_KEY?: string;

  /** Seconds a challenge may be solved and submitted in. */
  @Transform(toInt)
  @IsInt()
  @Min(10)
  @Max(86400)
  CAPTCHA_EXPIRES: number = 600;

  /** PBKDF2 iterations per attempt of the proof of work. */
  @Transform(toInt)
  @IsInt()
  @Min(1)
  @Max(1_000_000)
  CAPTCHA_COST: number = 5000;

  /** The secret counter is drawn between half this and this: the attempts a client makes on average is ~3/4 of it. */
  @Transform(toInt)
  @IsInt()
  @Min(2)
  @Max(10_000_000)
  CAPTCHA_MAX_COUNTER: number = 10_000;
  /** Users (and sessions) each instance keeps in memory for the per-request check; 0: every check queries. */
  @Transform(toInt)
  @IsInt()
  @Min(0)
  AUTH_CACHE_MAX_ENTRIES: number = 10_000;

  /** A safety net: change notifications, not age, keep the entries current. */
  @Transform(toInt)
  @IsInt()
  @Min(1)
  AUTH_CACHE_TTL_SECONDS: number = 300;

  /** Challenges (GET /api/auth/captcha) per client IP per CAPTCHA_RATE_TTL: each costs the server a PBKDF2 run. */
  @Transform(toInt)
  @IsInt()
  @Min(1)
  CAPTCHA_RATE_LIMIT: number = 30;

  @Transform(toInt)
  @IsInt()
  @Min(1)
  CAPTCHA_RATE_TTL: number = 60;

  @IsIn(['true', 'false'])
  METRICS_ENABLED: 'true' | 'false' = 'true';

  @Transform(emptyToUndefined)
  @IsOptional()
  @IsString()
  @MinLength(16, { message: 'METRICS_TOKEN must be at least 16 characters long' })
  METRICS_TOKEN?: string;
}

/** Express/Fastify `trust proxy`: a hop count, or addresses/CIDRs (and proxy-addr's names such as `loopback`). */
export type TrustProxySetting = false | number | string[];

export interface AppConfig {
  nodeEnv: NodeEnv;
  port: number;
  databaseUrl?: string;
  dataDir: string;
  jwtSecret?: string;
  jwtExpiresInSeconds: number;
  /** A session's absolute lifetime from login; refreshing never extends it. */
  refreshTokenTtlSeconds: number;
  /**
   * How long the refresh token a rotation spent, presented again by the same client (session, IP and
   * User-Agent), answers with the successor it already got instead of revoking the session: two tabs that
   * refresh at once. 0: every repeat is reuse.
   */
  refreshReuseGraceSeconds: number;
  initialAdmin?: { email: string; password: string };
  registrationMode: RegistrationMode;
  registrationAllowedDomains: string[];
  registerRateLimit: { limit: number; ttlSeconds: number };
  loginRateLimit: { limit: number; ttlSeconds: number };
  captchaRateLimit: { limit: number; ttlSeconds: number };
  apiKeyRateLimit: { limit: number; ttlSeconds: number };
  trustProxy: TrustProxySetting;
  redisUrl?: string;
  /** Only used with redisUrl. */
  rateLimitRedisFailure: RateLimitRedisFailureMode;
  securityLogFile?: string;
  sipIngestApiKey?: string;
  sipBan: {
    maxRetry: number;
    findTimeSeconds: number;
    banTimeSeconds: number;
    timeFactor: number;
    maxTimeSeconds: number;
    ipv6Prefix: number;
  };
  sipAllowlist: string[];
  /** The widest ban or allowlist prefix taken without `"force": true`. */
  sipMinPrefix: { ipv4: number; ipv6: number };
  /** Kamailio JSON-RPC endpoints that regshield keeps in step with the bans (deploy/kamailio). */
  sipProxyRpcUrls: string[];
  /** Usernames no account has: one REGISTER or INVITE for one bans its source. Lower case, no duplicates. */
  sipDecoyUsernames: string[];
  /** Events older than this many days are deleted; 0 keeps them forever. */
  sipEventRetentionDays: number;
  /** A feed that cannot be pulled for this many seconds has its bans lifted until it answers again. */
  sipFeedStaleAfterSeconds: number;
  sipAccounts: SipAccountsConfig;
  logLevel: LogLevel;
  /** Where people reach the service, without a trailing slash: every link in an e-mail starts with it. */
  publicUrl: string;
  mail: MailConfig;
  accountEmail: AccountEmailConfig;
  lockout: LockoutConfig;
  auditRetentionDays: number;
  bodyLimitBytes: number;
  /** `GET /metrics` and the per-request hook exist only when enabled; the token, when set, guards the route. */
  metrics: { enabled: boolean; token?: string };
  /** The per-request auth check's in-memory state (src/auth/auth-state). */
  authCache: { maxEntries: number; ttlSeconds: number };
  /** Bounds on every database wait, so that a database that stops answering yields 503s, not hung requests. */
  databaseTimeouts: DatabaseTimeouts;
  /** How long SIGTERM waits for in-flight requests before cutting what is left. */
  shutdownTimeoutMs: number;
  /** How long, after a shutdown signal, /health answers 503 while every other request is still served. */
  shutdownDrainDelayMs: number;
  mfa: MfaConfig;
  /** The second factor superusers must have for the admin routes, and the grace period before it is enforced. */
  adminMfa: { required: AdminMfaPolicy; graceDays: number };
  /** Turning the second factor off: requests per client IP, and separately per account, per window. */
  mfaDisableRateLimit: { limit: number; ttlSeconds: number };
  /** Refuse passwords found in the common-password list (src/auth/password-policy.ts). */
  passwordBlocklist: boolean;
  captcha: CaptchaConfig;
}

export interface MfaConfig {
  /** Unset outside production: derived from the JWT secret. */
  encryptionKey?: string;
  /** Still readable during a rotation; secrets under them are re-encrypted with the current key at start. */
  previousEncryptionKeys: string[];
}

export interface CaptchaConfig {
  mode: CaptchaMode;
  /** Unset outside production: derived from the JWT secret. */
  hmacKey?: string;
  expiresSeconds: number;
  cost: number;
  maxCounter: number;
}

/** The rules about SIP accounts (src/sip-accounts). */
export interface SipAccountsConfig {
  /** A credential compromise: block the account at the proxy (and alert), or only alert. */
  compromiseAction: SipAccountAction;
  /** A registration from a new network or country: alert, or also block. */
  newNetworkAction: SipAccountAction;
  /** How far back an account's registrations count as its known networks. */
  historyDays: number;
  /** A source that registered an account this recently (and has no compromise alert) is trusted for it. */
  trustTtlSeconds: number;
  /** A trusted source is banned only after this many counted events (SIP_BAN_MAX_RETRY for the others). */
  trustedMaxRetry: number;
  /** A MaxMind-format country database; without it, networks only. */
  geoipDb?: string;
}

export interface MailConfig {
  /** Unset: the file transport (DATA_DIR/mail/). */
  smtpUrl?: string;
  from: string;
  maxAttempts: number;
  retryBaseMs: number;
  pollIntervalMs: number;
}

/** The e-mail flows of accounts: verification, password reset, sign-up notices to admins. */
export interface AccountEmailConfig {
  verification: EmailVerificationMode;
  verificationTtlSeconds: number;
  passwordResetTtlSeconds: number;
  /** How long an admin's invitation link stays valid. */
  invitationTtlSeconds: number;
  /** Forgot-password and verification-resend requests: per client IP and per address, in one window. */
  requestRateLimit: { perIp: number; perEmail: number; ttlSeconds: number };
  adminNotify: AdminNotifyMode;
  adminNotifyIntervalSeconds: number;
  /** Whether a sign-in from a device the account has not used before is told to its owner. */
  newDeviceNotices: boolean;
}

/** Consecutive failures before an account locks (0: never), and how long the locks last, in seconds. */
export interface LockoutConfig {
  maxFailures: number;
  lockSeconds: number;
  maxLockSeconds: number;
  /** How long a device cookie (src/devices) keeps its browser exempt from the account's lock after a sign-in. */
  deviceCookieTtlSeconds: number;
}

/** In milliseconds; a statement timeout of 0 means unbounded. */
export interface DatabaseTimeouts {
  statementMs: number;
  connectMs: number;
}

export class ConfigValidationError extends Error {}

const PROXY_ADDR_NAMES = new Set(['loopback', 'linklocal', 'uniquelocal']);

function parseTrustProxy(value: string | undefined, problems: string[]): TrustProxySetting {
  if (value === undefined) return false;
  if (/^\d+$/.test(value)) return Number(value);
  const entries = value
    .split(',')
    .map((entry) => entry.trim())
    .filter((entry) => entry !== '');
  const cidrs = entries.filter((entry) => !PROXY_ADDR_NAMES.has(entry));
  try {
    parseCidrList(cidrs);
  } catch (error) {
    problems.push(`TRUST_PROXY: ${(error as Error).message} (expected a hop count or a list of CIDRs)`);
  }
  return entries;
}

function isReadableFile(path: string): boolean {
  try {
    accessSync(path, constants.R_OK);
    return statSync(path).isFile();
  } catch {
    return false;
  }
}

/** Reads and validates the environment; throws one error naming every bad variable. */
export function loadConfig(env: NodeJS.ProcessEnv = process.env): AppConfig {
  const vars = plainToInstance(EnvironmentVariables, { ...env }, { exposeDefaultValues: true });
  const problems = formatValidationErrors(validateSync(vars, { forbidUnknownValues: false }));

  if (vars.EMBEDDED_DATABASE === 'off' && !vars.DATABASE_URL) {
    problems.push(
      'DATABASE_URL is required when EMBEDDED_DATABASE=off (as in the container image): the embedded PostgreSQL ' +
        'is for a laptop, not a container; point DATABASE_URL at your PostgreSQL (postgresql://user:password@host:5432/db)',
    );
  }
  if (vars.NODE_ENV === 'production' && !vars.JWT_SECRET) {
    problems.push('JWT_SECRET is required when NODE_ENV=production (at least 32 characters)');
  }
  if (vars.NODE_ENV === 'production' && !vars.MFA_ENCRYPTION_KEY) {
    problems.push('MFA_ENCRYPTION_KEY is required when NODE_ENV=production (at least 32 characters)');
  }
  if (vars.NODE_ENV === 'production' && vars.CAPTCHA === 'altcha' && !vars.CAPTCHA_HMAC_KEY) {
    problems.push('CAPTCHA_HMAC_KEY is required when CAPTCHA=altcha and NODE_ENV=production (at least 32 characters)');
  }
  if ((vars.ADMIN_EMAIL === undefined) !== (vars.ADMIN_PASSWORD === undefined)) {
    problems.push('ADMIN_EMAIL and ADMIN_PASSWORD must be set together');
  }
  const trustProxy = parseTrustProxy(vars.TRUST_PROXY, problems);
  try {
    parseCidrList(vars.SIP_ALLOWLIST);
  } catch (error) {
    problems.push(`SIP_ALLOWLIST: ${(error as Error).message}`);
  }
  if (vars.GEOIP_DB !== undefined && !isReadableFile(vars.GEOIP_DB)) {
    problems.push(`GEOIP_DB: ${vars.GEOIP_DB} is not a readable file (a MaxMind-format .mmdb)`);
  }
  // The ban engine counts events within SIP_BAN_FIND_TIME: retention must not delete them first.
  if (vars.SIP_EVENT_RETENTION_DAYS > 0 && vars.SIP_EVENT_RETENTION_DAYS * 86400 < vars.SIP_BAN_FIND_TIME) {
    problems.push('SIP_EVENT_RETENTION_DAYS must be 0 (keep forever) or cover SIP_BAN_FIND_TIME');
  }
  // Compared with the domain of normalised e-mails, so in the same (ASCII) form.
  const domains = vars.REGISTRATION_ALLOWED_DOMAINS.flatMap((domain) => {
    try {
      return [normalizeDomain(domain.replace(/^@/, ''))];
    } catch {
      problems.push(`REGISTRATION_ALLOWED_DOMAINS: "${domain}" is not a domain name`);
      return [];
    }
  });
  let adminEmail = vars.ADMIN_EMAIL;
  try {
    adminEmail = adminEmail === undefined ? undefined : normalizeEmail(adminEmail);
  } catch (error) {
    problems.push(`ADMIN_EMAIL: ${(error as Error).message}`);
  }
  if (vars.ACCOUNT_LOCKOUT_MAX_TIME < vars.ACCOUNT_LOCKOUT_TIME) {
    problems.push('ACCOUNT_LOCKOUT_MAX_TIME must be at least ACCOUNT_LOCKOUT_TIME');
  }
  if (problems.length > 0) {
    throw new ConfigValidationError(`Invalid configuration:\n  - ${problems.join('\n  - ')}`);
  }

  return {
    nodeEnv: vars.NODE_ENV,
    port: vars.PORT,
    databaseUrl: vars.DATABASE_URL,
    dataDir: vars.DATA_DIR,
    jwtSecret: vars.JWT_SECRET,
    jwtExpiresInSeconds: vars.JWT_EXPIRES_IN,
    refreshTokenTtlSeconds: vars.REFRESH_TOKEN_TTL,
    refreshReuseGraceSeconds: vars.REFRESH_REUSE_GRACE,
    initialAdmin: adminEmail && vars.ADMIN_PASSWORD ? { email: adminEmail, password: vars.ADMIN_PASSWORD } : undefined,
    registrationMode: vars.REGISTRATION_MODE,
    registrationAllowedDomains: domains,
    registerRateLimit: { limit: vars.REGISTER_RATE_LIMIT, ttlSeconds: vars.REGISTER_RATE_TTL },
    loginRateLimit: { limit: vars.LOGIN_RATE_LIMIT, ttlSeconds: vars.LOGIN_RATE_TTL },
    captchaRateLimit: { limit: vars.CAPTCHA_RATE_LIMIT, ttlSeconds: vars.CAPTCHA_RATE_TTL },
    apiKeyRateLimit: { limit: vars.API_KEY_RATE_LIMIT, ttlSeconds: vars.API_KEY_RATE_TTL },
    trustProxy,
    redisUrl: vars.REDIS_URL,
    rateLimitRedisFailure: vars.RATE_LIMIT_REDIS_FAILURE,
    securityLogFile: vars.SECURITY_LOG_FILE,
    sipIngestApiKey: vars.SIP_INGEST_API_KEY,
    sipBan: {
      maxRetry: vars.SIP_BAN_MAX_RETRY,
      findTimeSeconds: vars.SIP_BAN_FIND_TIME,
      banTimeSeconds: vars.SIP_BAN_TIME,
      timeFactor: vars.SIP_BAN_TIME_FACTOR,
      maxTimeSeconds: vars.SIP_BAN_MAX_TIME,
      ipv6Prefix: vars.SIP_BAN_IPV6_PREFIX,
    },
    sipAllowlist: vars.SIP_ALLOWLIST,
    sipMinPrefix: { ipv4: vars.SIP_MIN_PREFIX_IPV4, ipv6: vars.SIP_MIN_PREFIX_IPV6 },
    sipProxyRpcUrls: vars.SIP_PROXY_RPC_URLS,
    sipDecoyUsernames: [...new Set(vars.SIP_DECOY_USERNAMES.map((name) => name.toLowerCase()))],
    sipEventRetentionDays: vars.SIP_EVENT_RETENTION_DAYS,
    sipFeedStaleAfterSeconds: vars.SIP_FEED_STALE_AFTER,
    sipAccounts: {
      compromiseAction: vars.SIP_COMPROMISE_ACTION,
      newNetworkAction: vars.SIP_NEW_NETWORK_ACTION,
      historyDays: vars.SIP_ACCOUNT_HISTORY_DAYS,
      trustTtlSeconds: vars.SIP_TRUST_TTL,
      trustedMaxRetry: vars.SIP_TRUSTED_MAX_RETRY,
      geoipDb: vars.GEOIP_DB,
    },
    logLevel: vars.LOG_LEVEL,
    publicUrl: (vars.PUBLIC_URL ?? `http://localhost:${vars.PORT}`).replace(/\/+$/, ''),
    mail: {
      smtpUrl: vars.SMTP_URL,
      from: vars.MAIL_FROM,
      maxAttempts: vars.MAIL_MAX_ATTEMPTS,
      retryBaseMs: vars.MAIL_RETRY_BASE_MS,
      pollIntervalMs: vars.MAIL_POLL_INTERVAL_MS,
    },
    accountEmail: {
      verification: vars.EMAIL_VERIFICATION,
      verificationTtlSeconds: vars.EMAIL_VERIFICATION_TTL,
      passwordResetTtlSeconds: vars.PASSWORD_RESET_TTL,
      invitationTtlSeconds: vars.INVITATION_TTL,
      requestRateLimit: {
        perIp: vars.PASSWORD_FORGOT_RATE_LIMIT,
        perEmail: vars.PASSWORD_FORGOT_EMAIL_RATE_LIMIT,
        ttlSeconds: vars.PASSWORD_FORGOT_RATE_TTL,
      },
      adminNotify: vars.ADMIN_NOTIFY,
      adminNotifyIntervalSeconds: vars.ADMIN_NOTIFY_INTERVAL,
      newDeviceNotices: vars.NEW_DEVICE_NOTICES === 'true',
    },
    lockout: {
      maxFailures: vars.ACCOUNT_LOCKOUT_MAX_FAILURES,
      lockSeconds: vars.ACCOUNT_LOCKOUT_TIME,
      maxLockSeconds: vars.ACCOUNT_LOCKOUT_MAX_TIME,
      deviceCookieTtlSeconds: vars.DEVICE_COOKIE_TTL,
    },
    auditRetentionDays: vars.AUDIT_RETENTION_DAYS,
    bodyLimitBytes: 100 * 1024,
    databaseTimeouts: { statementMs: vars.DB_STATEMENT_TIMEOUT_MS, connectMs: vars.DB_CONNECT_TIMEOUT_MS },
    shutdownTimeoutMs: vars.SHUTDOWN_TIMEOUT_MS,
    shutdownDrainDelayMs: vars.SHUTDOWN_DRAIN_DELAY_MS,
    metrics: { enabled: vars.METRICS_ENABLED === 'true', token: vars.METRICS_TOKEN },
    mfa: { encryptionKey: vars.MFA_ENCRYPTION_KEY, previousEncryptionKeys: vars.MFA_ENCRYPTION_KEY_PREVIOUS },
    adminMfa: { required: vars.ADMIN_MFA_REQUIRED, graceDays: vars.ADMIN_MFA_GRACE_DAYS },
    mfaDisableRateLimit: { limit: vars.MFA_DISABLE_RATE_LIMIT, ttlSeconds: vars.MFA_DISABLE_RATE_TTL },
    passwordBlocklist: vars.PASSWORD_BLOCKLIST === 'on',
    captcha: {
      mode: vars.CAPTCHA,
      hmacKey: vars.CAPTCHA_HMAC_KEY,
      expiresSeconds: vars.CAPTCHA_EXPIRES,
      cost: vars.CAPTCHA_COST,
      maxCounter: vars.CAPTCHA_MAX_COUNTER,
    },
    authCache: { maxEntries: vars.AUTH_CACHE_MAX_ENTRIES, ttlSeconds: vars.AUTH_CACHE_TTL_SECONDS },
  };
}
