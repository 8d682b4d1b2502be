import { loadConfig } from './app-config';

describe('loadConfig', () => {
  it('applies the contract defaults', () => {
    const config = loadConfig({});
    expect(config).toMatchObject({
      port: 3000,
      dataDir: './.data',
      jwtExpiresInSeconds: 900,
      refreshTokenTtlSeconds: 1209600,
      registrationMode: 'approval',
      registrationAllowedDomains: [],
      registerRateLimit: { limit: 3, ttlSeconds: 3600 },
      loginRateLimit: { limit: 10, ttlSeconds: 60 },
      captchaRateLimit: { limit: 30, ttlSeconds: 60 },
      trustProxy: false,
      sipBan: {
        maxRetry: 5,
        findTimeSeconds: 600,
        banTimeSeconds: 3600,
        timeFactor: 2,
        maxTimeSeconds: 604800,
        ipv6Prefix: 64,
      },
      sipAllowlist: ['127.0.0.0/8', '::1/128'],
      bodyLimitBytes: 102400,
    });
    expect(config.databaseUrl).toBeUndefined();
  });

  it('reads and converts set values', () => {
    const config = loadConfig({
      PORT: '8080',
      REGISTRATION_MODE: 'admin_only',
      REGISTRATION_ALLOWED_DOMAINS: 'Company.com, @example.org',
      TRUST_PROXY: '2',
      SIP_ALLOWLIST: '10.0.0.0/8,2001:db8::/32',
      DATABASE_URL: 'postgresql://u:p@127.0.0.1:5432/db',
      REFRESH_TOKEN_TTL: '86400',
      CAPTCHA_RATE_LIMIT: '5',
      CAPTCHA_RATE_TTL: '300',
    });
    expect(config.port).toBe(8080);
    expect(config.captchaRateLimit).toEqual({ limit: 5, ttlSeconds: 300 });
    expect(config.refreshTokenTtlSeconds).toBe(86400);
    expect(config.registrationMode).toBe('admin_only');
    expect(config.registrationAllowedDomains).toEqual(['company.com', 'example.org']);
    expect(config.trustProxy).toBe(2);
    expect(config.sipAllowlist).toEqual(['10.0.0.0/8', '2001:db8::/32']);
  });

  it('takes TRUST_PROXY as a CIDR list', () => {
    expect(loadConfig({ TRUST_PROXY: '10.0.0.0/8, loopback' }).trustProxy).toEqual(['10.0.0.0/8', 'loopback']);
  });

  it.each([
    ['PORT', 'abc'],
    ['REGISTRATION_MODE', 'everyone'],
    ['REGISTER_RATE_LIMIT', '0'],
    ['LOGIN_RATE_TTL', '-5'],
    ['CAPTCHA_RATE_LIMIT', '0'],
    ['CAPTCHA_RATE_TTL', 'soon'],
    ['JWT_SECRET', 'short'],
    ['DATABASE_URL', 'mysql://localhost/db'],
    ['TRUST_PROXY', 'not-an-address'],
    ['SIP_ALLOWLIST', '10.0.0.0/33'],
    ['SIP_BAN_IPV6_PREFIX', '129'],
    ['REGISTRATION_ALLOWED_DOMAINS', 'not a domain'],
    ['NODE_ENV', 'prod'],
    ['LOG_LEVEL', 'verbose'],
    ['PORT', '1e3'],
    ['SIP_BAN_TIME', '0x10'],
    ['TRUST_PROXY', '1.5'],
    ['TRUST_PROXY', 'loopback, proxy.example.org'],
    ['REDIS_URL', 'http://127.0.0.1:6379'],
    ['SIP_INGEST_API_KEY', 'short'],
    ['REFRESH_TOKEN_TTL', '0'],
    ['REFRESH_TOKEN_TTL', '2w'],
    ['MFA_ENCRYPTION_KEY', 'short'],
    ['MFA_ENCRYPTION_KEY_PREVIOUS', `${'o'.repeat(32)},short`],
    ['PASSWORD_BLOCKLIST', 'yes'],
    ['EMBEDDED_DATABASE', 'no'],
    ['CAPTCHA', 'hcaptcha'],
    ['CAPTCHA_HMAC_KEY', 'short'],
    ['CAPTCHA_EXPIRES', '5'],
    ['CAPTCHA_COST', '0'],
    ['CAPTCHA_MAX_COUNTER', '1'],
    ['RATE_LIMIT_REDIS_FAILURE', 'fail-open'],
    ['SIP_DECOY_USERNAMES', 'admin,sip:admin'],
    ['SIP_DECOY_USERNAMES', 'admin,ad min'],
    ['SIP_COMPROMISE_ACTION', 'ban'],
    ['SIP_NEW_NETWORK_ACTION', 'notify'],
    ['SIP_ACCOUNT_HISTORY_DAYS', '0'],
    ['SIP_TRUST_TTL', '1d'],
    ['GEOIP_DB', '/nonexistent/GeoLite2-Country.mmdb'],
  ])('refuses a bad %s (%j) and names it', (variable, value) => {
    expect(() => loadConfig({ [variable]: value })).toThrow(variable);
  });

  it('keeps the rate limits per instance while Redis is away unless told otherwise', () => {
    expect(loadConfig({}).rateLimitRedisFailure).toBe('local');
    expect(loadConfig({ RATE_LIMIT_REDIS_FAILURE: 'closed' }).rateLimitRedisFailure).toBe('closed');
  });

  it('names every bad variable at once', () => {
    const load = () => loadConfig({ PORT: 'eighty', LOG_LEVEL: 'loud', NODE_ENV: 'staging' });
    expect(load).toThrow('PORT must be an integer number');
    expect(load).toThrow('NODE_ENV must be one of the following values: development, production, test');
    expect(load).toThrow(
      'LOG_LEVEL must be one of the following values: fatal, error, warn, info, debug, trace, silent',
    );
  });

  it('takes every documented NODE_ENV and LOG_LEVEL', () => {
    for (const nodeEnv of ['development', 'test'] as const) {
      expect(loadConfig({ NODE_ENV: nodeEnv }).nodeEnv).toBe(nodeEnv);
    }
    for (const logLevel of ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const) {
      expect(loadConfig({ LOG_LEVEL: logLevel }).logLevel).toBe(logLevel);
    }
  });

  it('requires JWT_SECRET in production', () => {
    expect(() => loadConfig({ NODE_ENV: 'production' })).toThrow(/JWT_SECRET is required/);
    expect(
      loadConfig({ NODE_ENV: 'production', JWT_SECRET: 'x'.repeat(32), MFA_ENCRYPTION_KEY: 'k'.repeat(32) }).jwtSecret,
    ).toBe('x'.repeat(32));
  });

  it('keeps SIP events 90 days by default; 0 keeps them forever; a retention shorter than the ban window is refused', () => {
    expect(loadConfig({}).sipEventRetentionDays).toBe(90);
    expect(loadConfig({ SIP_EVENT_RETENTION_DAYS: '0' }).sipEventRetentionDays).toBe(0);
    expect(() => loadConfig({ SIP_EVENT_RETENTION_DAYS: '-1' })).toThrow('SIP_EVENT_RETENTION_DAYS');
    expect(() => loadConfig({ SIP_EVENT_RETENTION_DAYS: '1', SIP_BAN_FIND_TIME: '172800' })).toThrow(
      /SIP_EVENT_RETENTION_DAYS must be 0 \(keep forever\) or cover SIP_BAN_FIND_TIME/,
    );
  });

  it('reads SIP_DECOY_USERNAMES as a lower-case list without repeats; none by default', () => {
    expect(loadConfig({}).sipDecoyUsernames).toEqual([]);
    expect(loadConfig({ SIP_DECOY_USERNAMES: ' Admin, test,admin ,,' }).sipDecoyUsernames).toEqual(['admin', 'test']);
  });

  it('reads REFRESH_REUSE_GRACE: 10 s by default, 0 (strict) to 60', () => {
    expect(loadConfig({}).refreshReuseGraceSeconds).toBe(10);
    expect(loadConfig({ REFRESH_REUSE_GRACE: '0' }).refreshReuseGraceSeconds).toBe(0);
    expect(() => loadConfig({ REFRESH_REUSE_GRACE: '61' })).toThrow('REFRESH_REUSE_GRACE');
    expect(() => loadConfig({ REFRESH_REUSE_GRACE: '-1' })).toThrow('REFRESH_REUSE_GRACE');
  });

  it('requires DATABASE_URL with EMBEDDED_DATABASE=off, saying why', () => {
    expect(() => loadConfig({ EMBEDDED_DATABASE: 'off' })).toThrow(
      /DATABASE_URL is required when EMBEDDED_DATABASE=off .*embedded PostgreSQL is for a laptop, not a container/,
    );
    expect(() => loadConfig({ EMBEDDED_DATABASE: 'off', DATABASE_URL: '' })).toThrow(/DATABASE_URL is required/);
    const url = 'postgresql://u:p@127.0.0.1:5432/db';
    expect(loadConfig({ EMBEDDED_DATABASE: 'off', DATABASE_URL: url }).databaseUrl).toBe(url);
    expect(loadConfig({ EMBEDDED_DATABASE: 'on' }).databaseUrl).toBeUndefined();
  });

  it('requires ADMIN_EMAIL and ADMIN_PASSWORD together', () => {
    expect(() => loadConfig({ ADMIN_EMAIL: 'a@example.com' })).toThrow(/ADMIN_EMAIL and ADMIN_PASSWORD/);
  });

  it.each([
    ['"<a@evil.example>"@example.com', /ADMIN_EMAIL: email must not have a quoted local part/],
    ['a\u202Eb@example.com', /ADMIN_EMAIL: email must not contain invisible formatting characters/],
  ])('refuses ADMIN_EMAIL=%j as sign-up refuses it', (email, message) => {
    expect(() => loadConfig({ ADMIN_EMAIL: email, ADMIN_PASSWORD: 'AdminPass123' })).toThrow(message);
  });

  it('reads the metrics switch and token', () => {
    expect(loadConfig({}).metrics).toEqual({ enabled: true, token: undefined });
    expect(loadConfig({ METRICS_ENABLED: 'false', METRICS_TOKEN: 'm'.repeat(16) }).metrics).toEqual({
      enabled: false,
      token: 'm'.repeat(16),
    });
    expect(() => loadConfig({ METRICS_ENABLED: 'yes' })).toThrow('METRICS_ENABLED');
    expect(() => loadConfig({ METRICS_TOKEN: 'short' })).toThrow('METRICS_TOKEN');
  });

  it('reads the e-mail flows and lockout settings, with the contract defaults', () => {
    expect(loadConfig({}).accountEmail).toEqual({
      verification: 'optional',
      verificationTtlSeconds: 86400,
      passwordResetTtlSeconds: 1800,
      invitationTtlSeconds: 604800,
      requestRateLimit: { perIp: 10, perEmail: 3, ttlSeconds: 3600 },
      adminNotify: 'digest',
      adminNotifyIntervalSeconds: 900,
      newDeviceNotices: true,
    });
    expect(loadConfig({}).lockout).toEqual({
      maxFailures: 10,
      lockSeconds: 60,
      maxLockSeconds: 900,
      deviceCookieTtlSeconds: 7_776_000,
    });
    const set = loadConfig({
      EMAIL_VERIFICATION: 'required',
      ADMIN_NOTIFY: 'each',
      ACCOUNT_LOCKOUT_MAX_FAILURES: '0',
      PASSWORD_FORGOT_EMAIL_RATE_LIMIT: '5',
    });
    expect(set.accountEmail).toMatchObject({ verification: 'required', adminNotify: 'each' });
    expect(set.accountEmail.requestRateLimit.perEmail).toBe(5);
    expect(set.lockout.maxFailures).toBe(0);
    expect(loadConfig({}).mfaDisableRateLimit).toEqual({ limit: 5, ttlSeconds: 900 });
    expect(loadConfig({ DEVICE_COOKIE_TTL: '3600' }).lockout.deviceCookieTtlSeconds).toBe(3600);
    expect(loadConfig({ INVITATION_TTL: '60' }).accountEmail.invitationTtlSeconds).toBe(60);
    expect(loadConfig({ NEW_DEVICE_NOTICES: 'false' }).accountEmail.newDeviceNotices).toBe(false);
  });

  it('refuses unknown e-mail flow modes and a lockout maximum below the first lock', () => {
    expect(() => loadConfig({ EMAIL_VERIFICATION: 'maybe' })).toThrow('EMAIL_VERIFICATION');
    expect(() => loadConfig({ ADMIN_NOTIFY: 'weekly' })).toThrow('ADMIN_NOTIFY');
    expect(() => loadConfig({ PASSWORD_RESET_TTL: '0' })).toThrow('PASSWORD_RESET_TTL');
    expect(() => loadConfig({ INVITATION_TTL: 'week' })).toThrow('INVITATION_TTL');
    expect(() => loadConfig({ ACCOUNT_LOCKOUT_MAX_FAILURES: '-1' })).toThrow('ACCOUNT_LOCKOUT_MAX_FAILURES');
    expect(() => loadConfig({ DEVICE_COOKIE_TTL: '0' })).toThrow('DEVICE_COOKIE_TTL');
    expect(() => loadConfig({ NEW_DEVICE_NOTICES: 'yes' })).toThrow('NEW_DEVICE_NOTICES');
    expect(() => loadConfig({ MFA_DISABLE_RATE_LIMIT: 'many' })).toThrow('MFA_DISABLE_RATE_LIMIT');
    expect(() => loadConfig({ ACCOUNT_LOCKOUT_TIME: '600', ACCOUNT_LOCKOUT_MAX_TIME: '60' })).toThrow(
      /ACCOUNT_LOCKOUT_MAX_TIME must be at least ACCOUNT_LOCKOUT_TIME/,
    );
  });

  it('reads the second factor, blocklist and CAPTCHA settings, with their defaults', () => {
    expect(loadConfig({})).toMatchObject({
      mfa: { encryptionKey: undefined, previousEncryptionKeys: [] },
      passwordBlocklist: true,
      captcha: { mode: 'off', hmacKey: undefined, expiresSeconds: 600, cost: 5000, maxCounter: 10000 },
    });
    const config = loadConfig({
      MFA_ENCRYPTION_KEY: 'k'.repeat(32),
      MFA_ENCRYPTION_KEY_PREVIOUS: `${'o'.repeat(32)}, ${'p'.repeat(40)}`,
      PASSWORD_BLOCKLIST: 'off',
      CAPTCHA: 'altcha',
      CAPTCHA_HMAC_KEY: 'c'.repeat(32),
      CAPTCHA_EXPIRES: '120',
      CAPTCHA_COST: '1000',
      CAPTCHA_MAX_COUNTER: '50000',
    });
    expect(config.mfa).toEqual({
      encryptionKey: 'k'.repeat(32),
      previousEncryptionKeys: ['o'.repeat(32), 'p'.repeat(40)],
    });
    expect(config.passwordBlocklist).toBe(false);
    expect(config.captcha).toEqual({
      mode: 'altcha',
      hmacKey: 'c'.repeat(32),
      expiresSeconds: 120,
      cost: 1000,
      maxCounter: 50000,
    });
  });

  it('requires MFA_ENCRYPTION_KEY in production, and CAPTCHA_HMAC_KEY there when CAPTCHA=altcha', () => {
    const production = { NODE_ENV: 'production', JWT_SECRET: 'x'.repeat(32) };
    expect(() => loadConfig(production)).toThrow(/MFA_ENCRYPTION_KEY is required when NODE_ENV=production/);
    const withKey = { ...production, MFA_ENCRYPTION_KEY: 'k'.repeat(32) };
    expect(loadConfig(withKey).mfa.encryptionKey).toBe('k'.repeat(32));
    expect(() => loadConfig({ ...withKey, CAPTCHA: 'altcha' })).toThrow(/CAPTCHA_HMAC_KEY is required/);
    expect(loadConfig({ ...withKey, CAPTCHA: 'altcha', CAPTCHA_HMAC_KEY: 'c'.repeat(32) }).captcha.mode).toBe('altcha');
    // Outside production both are derived from the JWT secret (with a warning at start).
    expect(() => loadConfig({ CAPTCHA: 'altcha' })).not.toThrow();
  });

  it('reads the auth cache bounds', () => {
    expect(loadConfig({}).authCache).toEqual({ maxEntries: 10_000, ttlSeconds: 300 });
    expect(loadConfig({ AUTH_CACHE_MAX_ENTRIES: '0', AUTH_CACHE_TTL_SECONDS: '5' }).authCache).toEqual({
      maxEntries: 0,
      ttlSeconds: 5,
    });
    expect(() => loadConfig({ AUTH_CACHE_MAX_ENTRIES: '-1' })).toThrow('AUTH_CACHE_MAX_ENTRIES');
    expect(() => loadConfig({ AUTH_CACHE_TTL_SECONDS: '0' })).toThrow('AUTH_CACHE_TTL_SECONDS');
  });
});
