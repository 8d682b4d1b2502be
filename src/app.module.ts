import { DynamicModule, Module } from '@nestjs/common';
import { APP_FILTER } from '@nestjs/core';
import { ThrottlerModule } from '@nestjs/throttler';
import { TypeOrmModule } from '@nestjs/typeorm';
import { AccountModule } from './account/account.module';
import { AdminUsersModule } from './admin-users/admin-users.module';
import { AuditModule } from './audit/audit.module';
import { AuditTrailModule } from './audit/audit-trail.module';
import { AuthModule } from './auth/auth.module';
import { usePasswordBlocklist } from './auth/password-policy';
import { CommonModule } from './common/common.module';
import { HttpExceptionFilter } from './common/http-exception.filter';
import { createThrottlerStorage } from './common/throttling/throttler-storage';
import { THROTTLE } from './common/throttling/client-ip-throttler.guard';
import { AppConfig } from './config/app-config';
import { ConfigModule } from './config/config.module';
import { buildDataSourceOptions } from './database/data-source-options';
import { DeviceRoutesModule } from './devices/device-routes.module';
import { HealthModule } from './health/health.module';
import { InvitationsModule } from './invitations/invitations.module';
import { LiveEventsModule } from './live/live-events.module';
import { LiveModule } from './live/live.module';
import { MetricsModule } from './metrics/metrics.module';
import { MailModule } from './mail/mail.module';
import { SessionRoutesModule } from './sessions/session-routes.module';
import { MfaModule } from './mfa/mfa.module';
import { PasskeysModule } from './passkeys/passkeys.module';
import { SipAccountsModule } from './sip-accounts/sip-accounts.module';
import { SipFeedsModule } from './sip-feeds/sip-feeds.module';
import { SipSecurityModule } from './sip-security/sip-security.module';
import { StatusModule } from './status/status.module';

/** The application; `databaseUrl` is the resolved one (DATABASE_URL or the embedded server's). */
@Module({})
export class AppModule {
  static forRoot(config: AppConfig, databaseUrl: string): DynamicModule {
    usePasswordBlocklist(config.passwordBlocklist);
    return {
      module: AppModule,
      imports: [
        ConfigModule.forRoot(config),
        CommonModule,
        TypeOrmModule.forRoot(buildDataSourceOptions(databaseUrl, config.databaseTimeouts)),
        AuditTrailModule,
        ThrottlerModule.forRoot({
          throttlers: [
            {
              name: THROTTLE.register,
              limit: config.registerRateLimit.limit,
              ttl: config.registerRateLimit.ttlSeconds * 1000,
            },
            { name: THROTTLE.login, limit: config.loginRateLimit.limit, ttl: config.loginRateLimit.ttlSeconds * 1000 },
            {
              name: THROTTLE.captcha,
              limit: config.captchaRateLimit.limit,
              ttl: config.captchaRateLimit.ttlSeconds * 1000,
            },
          ],
          setHeaders: false,
          storage: createThrottlerStorage(config.redisUrl, config.rateLimitRedisFailure),
        }),
        HealthModule,
        MetricsModule.forRoot(config.metrics),
        MailModule,
        AuthModule,
        AdminUsersModule,
        SessionRoutesModule,
        DeviceRoutesModule,
        AccountModule,
        InvitationsModule,
        MfaModule,
        PasskeysModule,
        AuditModule,
        SipSecurityModule,
        SipFeedsModule,
        SipAccountsModule,
        LiveEventsModule,
        StatusModule,
        LiveModule,
      ],
      providers: [{ provide: APP_FILTER, useClass: HttpExceptionFilter }],
    };
  }
}
