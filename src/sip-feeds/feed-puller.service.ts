import { Injectable, Logger, OnApplicationBootstrap, OnApplicationShutdown } from '@nestjs/common';
import { AppConfig } from '../config/app-config';
import { InjectConfig } from '../config/config.module';
import { countSkipped, isStale, judgeEntries, planFeedBans } from './feed-merge';
import { FeedRead, FeedSourceService } from './feed-source.service';
import { Feed, SipFeedsRepository } from './sip-feeds.repository';
import { errorMessage } from '../common/error-message';

/**
 * How often an instance looks for a due feed: one indexed query a second, and a feed is pulled at most this
 * long after its interval is up.
 */
const TICK_MS = 1000;
/** The most feeds one tick pulls, so a backlog cannot keep the tick (and shutdown) waiting for long. */
const FEEDS_PER_TICK = 10;
/** last_error is shown to admins; a feed's own words in it stay short. */
const MAX_ERROR_LENGTH = 300;

/** What one pull changed. */
export interface FeedPullOutcome {
  feed: string;
  banned: number;
  lifted: number;
  error?: string;
}

/**
 * Pulls each feed on its interval and turns its entries into bans. Every instance ticks; a feed's lease
 * (SipFeedsRepository.claimDueFeed) makes one of them pull it. The bans' table trigger tells every instance's
 * ban index, which pushes the change to the proxies like any other ban.
 */
@Injectable()
export class FeedPullerService implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger(FeedPullerService.name);
  private timer?: NodeJS.Timeout;
  private running: Promise<unknown> = Promise.resolve();
  private busy = false;
  /** Aborted at shutdown, so a feed that is slow to answer does not hold the exit for its whole timeout. */
  private readonly shutdown = new AbortController();

  constructor(
    private readonly repository: SipFeedsRepository,
    private readonly source: FeedSourceService,
    @InjectConfig() private readonly config: AppConfig,
  ) {}

  onApplicationBootstrap(): void {
    this.timer = setInterval(() => {
      if (this.busy) return;
      this.busy = true;
      this.running = this.pullDueFeeds()
        .catch((error: unknown) => this.logger.warn(`feed tick failed: ${errorMessage(error)}`))
        .finally(() => (this.busy = false));
    }, TICK_MS);
    this.timer.unref();
  }

  async onApplicationShutdown(): Promise<void> {
    clearInterval(this.timer);
    this.shutdown.abort();
    await this.running;
  }

  /** Pulls the feeds that are due and that no other instance has claimed. */
  async pullDueFeeds(): Promise<FeedPullOutcome[]> {
    const outcomes: FeedPullOutcome[] = [];
    for (let i = 0; i < FEEDS_PER_TICK && !this.shutdown.signal.aborted; i++) {
      const feed = await this.repository.claimDueFeed();
      if (feed === undefined) break;
      outcomes.push(await this.pull(feed));
    }
    return outcomes;
  }

  private async pull(feed: Feed): Promise<FeedPullOutcome> {
    let read: FeedRead;
    try {
      read = await this.source.read(feed, () => this.repository.findEntryCidrs(feed.id), this.shutdown.signal);
    } catch (error) {
      // Cut short by the shutdown: not the feed's fault, and the next pull comes at its interval.
      if (this.shutdown.signal.aborted) return { feed: feed.name, banned: 0, lifted: 0 };
      return this.fail(feed, error);
    }
    const verdicts = judgeEntries(
      read.entries.cidrs,
      await this.repository.findAllowlisted(read.entries.cidrs),
      this.config.sipMinPrefix,
    );
    const changed = await this.repository.inFeedTransaction(feed.id, async (tx) => {
      const plan = planFeedBans(verdicts, await this.repository.findActiveBanCidrs(feed.id, tx));
      const lifted = await this.repository.liftBans(tx, feed.id, plan.lift);
      const banned = await this.repository.insertBans(
        tx,
        { id: feed.id, name: feed.name, durationSeconds: feed.banDurationSeconds },
        plan.ban,
      );
      if (feed.banDurationSeconds !== null) await this.repository.renewBans(tx, feed.id, feed.banDurationSeconds);
      await this.repository.storePull(tx, feed.id, {
        verdicts,
        invalid: read.entries.invalid,
        truncated: read.entries.truncated,
        streamCursor: read.streamCursor,
      });
      return { banned, lifted: lifted.length };
    });
    if (changed === undefined) return { feed: feed.name, banned: 0, lifted: 0 };
    const skipped = countSkipped(verdicts);
    if (changed.banned > 0 || changed.lifted > 0 || read.entries.truncated) {
      this.logger.log(
        `feed ${feed.name}: ${read.entries.cidrs.length} entries, ${changed.banned} banned, ${changed.lifted} lifted, ` +
          `skipped ${skipped.allowlisted} allowlisted, ${skipped.too_wide} too wide, ${read.entries.invalid} invalid` +
          (read.entries.truncated ? ' (truncated)' : ''),
      );
    }
    return { feed: feed.name, ...changed };
  }

  /** The error is kept on the feed; once it has gone unpulled for SIP_FEED_STALE_AFTER its bans lapse. */
  private async fail(feed: Feed, error: unknown): Promise<FeedPullOutcome> {
    const message = errorMessage(error).slice(0, MAX_ERROR_LENGTH);
    let lifted = 0;
    if (isStale(feed.lastPulledAt, feed.createdAt, new Date(), this.config.sipFeedStaleAfterSeconds)) {
      lifted =
        (await this.repository.inFeedTransaction(feed.id, (tx) => this.repository.lapseEntries(tx, feed.id))) ?? 0;
    }
    // Last: a pull is over once its outcome is on the feed.
    await this.repository.recordFailure(feed.id, message);
    this.logger.warn(`feed ${feed.name}: pull failed: ${message}${lifted > 0 ? `; stale, ${lifted} bans lapsed` : ''}`);
    return { feed: feed.name, banned: 0, lifted, error: message };
  }
}
