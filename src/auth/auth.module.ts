import { Module } from '@nestjs/common';
import { createSecretKey } from 'node:crypto';
import { JwtModule } from '@nestjs/jwt';
import { TypeOrmModule } from '@nestjs/typeorm';
import { AppConfig } from '../config/app-config';
import { APP_CONFIG } from '../config/config.module';
import { User } from '../database/entities/user.entity';
import { AuthController } from './auth.controller';
import { AuthService } from './auth.service';
import { ApiKeyOrSuperuserGuard } from './guards/api-key-or-superuser.guard';
import { JwtAuthGuard } from './guards/jwt-auth.guard';
import { SuperuserGuard } from './guards/superuser.guard';

@Module({
  imports: [
    TypeOrmModule.forFeature([User]),
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
  providers: [AuthService, JwtAuthGuard, SuperuserGuard, ApiKeyOrSuperuserGuard],
  exports: [AuthService, JwtAuthGuard, SuperuserGuard, ApiKeyOrSuperuserGuard],
})
export class AuthModule {}
