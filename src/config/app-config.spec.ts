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
    });
    expect(config.port).toBe(8080);
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
  ])('refuses a bad %s (%j) and names it', (variable, value) => {
    expect(() => loadConfig({ [variable]: value })).toThrow(variable);
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
    expect(loadConfig({ NODE_ENV: 'production', JWT_SECRET: 'x'.repeat(32) }).jwtSecret).toBe('x'.repeat(32));
  });

  it('keeps SIP events 90 days by default; 0 keeps them forever; a retention shorter than the ban window is refused', () => {
    expect(loadConfig({}).sipEventRetentionDays).toBe(90);
    expect(loadConfig({ SIP_EVENT_RETENTION_DAYS: '0' }).sipEventRetentionDays).toBe(0);
    expect(() => loadConfig({ SIP_EVENT_RETENTION_DAYS: '-1' })).toThrow('SIP_EVENT_RETENTION_DAYS');
    expect(() => loadConfig({ SIP_EVENT_RETENTION_DAYS: '1', SIP_BAN_FIND_TIME: '172800' })).toThrow(
      /SIP_EVENT_RETENTION_DAYS must be 0 \(keep forever\) or cover SIP_BAN_FIND_TIME/,
    );
  });

  it('requires ADMIN_EMAIL and ADMIN_PASSWORD together', () => {
    expect(() => loadConfig({ ADMIN_EMAIL: 'a@example.com' })).toThrow(/ADMIN_EMAIL and ADMIN_PASSWORD/);
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
