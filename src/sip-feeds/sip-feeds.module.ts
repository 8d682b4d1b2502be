import { Module } from '@nestjs/common';
import { AuthModule } from '../auth/auth.module';
import { FeedHttpClient } from './feed-http.client';
import { FeedPullerService } from './feed-puller.service';
import { FeedSourceService } from './feed-source.service';
import { FeedsController } from './feeds.controller';
import { FeedsService } from './feeds.service';
import { SipFeedsRepository } from './sip-feeds.repository';

/**
 * Feeds: outside ban lists pulled on an interval. Their bans are sip_bans rows like any other, so the ban
 * index, the proxy push, the export and the decision stream of src/sip-security carry them unchanged.
 */
@Module({
  imports: [AuthModule],
  controllers: [FeedsController],
  providers: [SipFeedsRepository, FeedsService, FeedHttpClient, FeedSourceService, FeedPullerService],
  // The console's status page (src/status).
  exports: [FeedsService],
})
export class SipFeedsModule {}
