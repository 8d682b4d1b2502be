import { Module } from '@nestjs/common';
import { AuthModule } from '../auth/auth.module';
import { HealthModule } from '../health/health.module';
import { SipSecurityModule } from '../sip-security/sip-security.module';
import { SipFeedsModule } from '../sip-feeds/sip-feeds.module';
import { FEED_STATUS_SOURCE } from './feed-status-source';
import { SipFeedStatusSource } from './sip-feed-status.source';
import { StatusController } from './status.controller';
import { StatusRepository } from './status.repository';
import { StatusService } from './status.service';

/** `GET /api/admin/status`, and the report the live stream's `status` event summarizes. */
@Module({
  imports: [AuthModule, HealthModule, SipSecurityModule, SipFeedsModule],
  controllers: [StatusController],
  providers: [
    StatusService,
    StatusRepository,
    SipFeedStatusSource,
    { provide: FEED_STATUS_SOURCE, useExisting: SipFeedStatusSource },
  ],
  exports: [StatusService],
})
export class StatusModule {}
