import { Inject, Injectable } from '@nestjs/common';
import { InjectThrottlerStorage, type ThrottlerStorage } from '@nestjs/throttler';
import { RedisThrottlerStorage } from '../common/throttling/throttler-storage';
import { HealthRepository } from '../health/health.repository';
import { BanEngineService } from '../sip-security/ban-engine.service';
import { BouncersService } from '../sip-security/bouncers.service';
import { ProxySyncService } from '../sip-security/proxy-sync.service';
import { FEED_STATUS_SOURCE, FeedStatusSource } from './feed-status-source';
import { OUTBOX_FAILED_WITHIN_HOURS, StatusReport, statusProblems } from './status-report';
import { StatusRepository } from './status.repository';

/** As /health and the regshield_database_up gauge: a database slower than this counts as down. */
const DATABASE_PROBE_TIMEOUT_MS = 2000;

/**
 * Everything the service depends on, as this instance sees it now: the proxies it pushes bans to, the
 * bouncers that pull them, the feeds, the outbox, the ban engine, the database and Redis.
 */
@Injectable()
export class StatusService {
  constructor(
    private readonly proxies: ProxySyncService,
    private readonly bouncers: BouncersService,
    private readonly engine: BanEngineService,
    private readonly health: HealthRepository,
    private readonly repository: StatusRepository,
    @InjectThrottlerStorage() private readonly throttlerStorage: ThrottlerStorage,
    @Inject(FEED_STATUS_SOURCE) private readonly feeds: FeedStatusSource,
  ) {}

  async report(): Promise<StatusReport & { problems: string[] }> {
    const databaseUp = await this.health.databaseAnswersWithin(DATABASE_PROBE_TIMEOUT_MS);
    // Without the database these would only wait for the pool's timeout and fail.
    const [bouncers, outbox, feeds, redisUp] = await Promise.all([
      databaseUp ? this.bouncers.list().catch(() => []) : [],
      databaseUp ? this.repository.countOutbox(OUTBOX_FAILED_WITHIN_HOURS).catch(() => null) : null,
      databaseUp ? this.feeds.feedStatuses().catch(() => []) : [],
      this.throttlerStorage instanceof RedisThrottlerStorage ? this.throttlerStorage.answers() : null,
    ]);
    const report: StatusReport = {
      checkedAt: new Date(),
      proxies: this.proxies.proxyStatuses(),
      bouncers: bouncers.map(({ id, name, lastPullAt }) => ({ id, name, lastPullAt })),
      feeds,
      outbox,
      banEngineLagSeconds: this.engine.lagSeconds(),
      databaseUp,
      redisUp,
    };
    return { ...report, problems: statusProblems(report) };
  }
}
