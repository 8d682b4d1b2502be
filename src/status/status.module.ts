import { Module } from '@nestjs/common';
import { AuthModule } from '../auth/auth.module';
import { HealthModule } from '../health/health.module';
import { SipSecurityModule } from '../sip-security/sip-security.module';
import { FEED_STATUS_SOURCE, NO_FEEDS } from './feed-status-source';
import { StatusController } from './status.controller';
import { StatusRepository } from './status.repository';
import { StatusService } from './status.service';

/** `GET /api/admin/status`, and the report the live stream's `status` event summarizes. */
@Module({
  imports: [AuthModule, HealthModule, SipSecurityModule],
  controllers: [StatusController],
  providers: [StatusService, StatusRepository, { provide: FEED_STATUS_SOURCE, useValue: NO_FEEDS }],
  exports: [StatusService],
})
export class StatusModule {}
