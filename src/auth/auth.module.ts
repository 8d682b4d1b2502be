import { Module } from '@nestjs/common';
import { createSecretKey } from 'node:crypto';
import { JwtModule } from '@nestjs/jwt';
import { TypeOrmModule } from '@nestjs/typeorm';
import { AccountCoreModule } from '../account/account-core.module';
import { AppConfig } from '../config/app-config';
import { APP_CONFIG } from '../config/config.module';
import { User } from '../database/entities/user.entity';
import { SessionsModule } from '../sessions/sessions.module';
import { CaptchaModule } from '../captcha/captcha.module';
import { DevicesModule } from '../devices/devices.module';
import { MfaCoreModule } from '../mfa/mfa-core.module';
import { PasskeysCoreModule } from '../passkeys/passkeys-core.module';
import { AccessTokenService } from './access-token.service';
import { AuthStateCache } from './auth-state/auth-state-cache.service';
import { AdminProvisioningModule } from './admin-provisioning.module';
import { ApiKeyFailureLimiter } from './api-key-failure-limiter';
import { AuthController } from './auth.controller';
import { ApiKeyOrSuperuserGuard } from './guards/api-key-or-superuser.guard';
import { JwtAuthGuard } from './guards/jwt-auth.guard';
import { RegistrationModeGuard } from './guards/registration-mode.guard';
import { SuperuserGuard } from './guards/superuser.guard';
import { LoginService } from './login.service';
import { RegistrationService } from './registration.service';
import { UsersRepository } from './users.repository';

@Module({
  imports: [
    TypeOrmModule.forFeature([User]),
    SessionsModule,
    AccountCoreModule,
    MfaCoreModule,
    PasskeysCoreModule,
    DevicesModule,
    CaptchaModule,
    AdminProvisioningModule,
    JwtModule.registerAsync({
      inject: [APP_CONFIG],
      useFactory: (config: AppConfig) => ({
        // A KeyObject, not the string: jsonwebtoken would otherwise derive the key on every verify,
        // which cost ~0.5 ms per authenticated request (docs/BENCHMARKS.md).
        secret: createSecretKey(Buffer.from(config.jwtSecret!, 'utf8')) as unknown as Buffer,
        signOptions: { expiresIn: config.jwtExpiresInSeconds, algorithm: 'HS256' },
        verifyOptions: { algorithms: ['HS256'] },
      }),
    }),
  ],
  controllers: [AuthController],
  providers: [
    UsersRepository,
    AuthStateCache,
    AccessTokenService,
    LoginService,
    RegistrationService,
    ApiKeyFailureLimiter,
    JwtAuthGuard,
    SuperuserGuard,
    RegistrationModeGuard,
    ApiKeyOrSuperuserGuard,
  ],
  // The guards run in the modules of the controllers that use them, with what they inject (SuperuserGuard:
  // the admin factor policy of PasskeysCoreModule).
  exports: [
    PasskeysCoreModule,
    UsersRepository,
    AccessTokenService,
    LoginService,
    ApiKeyFailureLimiter,
    JwtAuthGuard,
    SuperuserGuard,
    ApiKeyOrSuperuserGuard,
  ],
})
export class AuthModule {}
