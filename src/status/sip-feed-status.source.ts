import { Injectable } from '@nestjs/common';
import { FeedsService } from '../sip-feeds/feeds.service';
import { FeedStatus, FeedStatusSource } from './feed-status-source';

/**
 * The feeds pulled in (src/sip-feeds) as the status page shows them: one failing while its last pull failed
 * (the puller clears the error at the next success). The feeds out (the export and the decision stream) are
 * the bouncer keys' pulls.
 */
@Injectable()
export class SipFeedStatusSource implements FeedStatusSource {
  constructor(private readonly feeds: FeedsService) {}

  async feedStatuses(): Promise<FeedStatus[]> {
    return (await this.feeds.list()).map((feed) => ({
      name: feed.name,
      direction: 'in',
      lastSuccessAt: feed.lastPulledAt,
      lastError: feed.lastError,
      healthy: feed.lastError === null,
    }));
  }
}
