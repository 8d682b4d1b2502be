import { Injectable, UnprocessableEntityException } from '@nestjs/common';
import { normalizeIp } from '../common/cidr';
import { Page } from '../common/total-count';
import { DoorKnockAttempt } from '../database/entities/door-knock-attempt.entity';
import { FailedRegistration } from '../database/entities/failed-registration.entity';
import { MetricsService } from '../metrics/metrics.service';
import { BanCheck, BanIndexService } from './ban-index.service';
import { isDigestChallenge } from './digest-challenge';
import { DoorKnockEvent, FailedRegistrationEvent } from './event-schemas';
import {
  CountByReason,
  CountByResponseCode,
  DoorKnockFilter,
  EventTotals,
  FailedRegistrationFilter,
  SipEventsRepository,
  SourceActivity,
  TimelineBucket,
  TimelineCounts,
} from './sip-events.repository';

const DEFAULT_STATS_WINDOW_MS = 24 * 3600 * 1000;
const TOP_SOURCES = 20;

const BUCKET_MS: Record<TimelineBucket, number> = { hour: 3600 * 1000, day: 24 * 3600 * 1000 };
/** The window a timeline covers when `since` is not given: a day of hours, a month of days. */
const DEFAULT_TIMELINE_BUCKETS: Record<TimelineBucket, number> = { hour: 24, day: 30 };
/** A year of days, six weeks of hours: enough for a chart, and a bound on what one request makes the database count. */
export const MAX_TIMELINE_BUCKETS = 1000;

export interface IngestResult {
  accepted: number;
  ignored: number;
}

export interface SipStats {
  since: Date;
  totals: EventTotals;
  byResponseCode: CountByResponseCode[];
  byReason: CountByReason[];
  topSources: Array<SourceActivity & { state: BanCheck }>;
}

/** Stores what the proxy reports (addresses in canonical form) and answers the admins' questions about it. */
@Injectable()
export class SipEventsService {
  constructor(
    private readonly repository: SipEventsRepository,
    private readonly index: BanIndexService,
    private readonly metrics: MetricsService,
  ) {}

  async ingestFailedRegistrations(events: FailedRegistrationEvent[]): Promise<IngestResult> {
    const kept = events
      .filter((event) => !isDigestChallenge(event.response_code))
      .map((event) => ({ ...event, source_ip: normalizeIp(event.source_ip) }));
    await this.repository.insertFailedRegistrations(kept);
    this.metrics.recordIngested('failed_registrations', kept.length);
    return { accepted: kept.length, ignored: events.length - kept.length };
  }

  async ingestDoorKnocks(events: DoorKnockEvent[]): Promise<IngestResult> {
    await this.repository.insertDoorKnocks(
      events.map((event) => ({ ...event, source_ip: normalizeIp(event.source_ip) })),
    );
    this.metrics.recordIngested('door_knock_attempts', events.length);
    return { accepted: events.length, ignored: 0 };
  }

  listFailedRegistrations(filter: FailedRegistrationFilter): Promise<Page<FailedRegistration>> {
    return this.repository.findFailedRegistrations(canonicalSource(filter));
  }

  listDoorKnocks(filter: DoorKnockFilter): Promise<Page<DoorKnockAttempt>> {
    return this.repository.findDoorKnocks(canonicalSource(filter));
  }

  async stats(since?: Date): Promise<SipStats> {
    const from = since ?? new Date(Date.now() - DEFAULT_STATS_WINDOW_MS);
    const [totals, byResponseCode, byReason, topSources] = await Promise.all([
      this.repository.countEventsSince(from),
      this.repository.countFailedRegistrationsByResponseCode(from),
      this.repository.countDoorKnocksByReason(from),
      this.repository.findTopSources(from, TOP_SOURCES),
    ]);
    return {
      since: from,
      totals,
      byResponseCode,
      byReason,
      topSources: topSources.map((source) => ({ ...source, state: this.index.check(source.sourceIp) })),
    };
  }

  /** Events and bans per UTC hour or day of `[since, until)`, empty buckets included, oldest first. */
  timeline(bucket: TimelineBucket, since?: Date, until?: Date): Promise<TimelineCounts[]> {
    const to = until ?? new Date();
    const from = since ?? new Date(to.getTime() - DEFAULT_TIMELINE_BUCKETS[bucket] * BUCKET_MS[bucket]);
    if (from.getTime() >= to.getTime()) {
      throw new UnprocessableEntityException(['since must be before until']);
    }
    const buckets = bucketCount(from, to, bucket);
    if (buckets > MAX_TIMELINE_BUCKETS) {
      throw new UnprocessableEntityException([
        `the window holds ${buckets} ${bucket} buckets; at most ${MAX_TIMELINE_BUCKETS}: narrow since/until or use a wider bucket`,
      ]);
    }
    return this.repository.countTimeline(from, to, bucket);
  }
}

/** Whole UTC buckets from the one holding `since` to the one holding the last instant before `until`. */
function bucketCount(since: Date, until: Date, bucket: TimelineBucket): number {
  const width = BUCKET_MS[bucket];
  const firstStart = Math.floor(since.getTime() / width) * width;
  return Math.ceil((until.getTime() - firstStart) / width);
}

function canonicalSource<T extends { sourceIp?: string }>(filter: T): T {
  return filter.sourceIp === undefined ? filter : { ...filter, sourceIp: normalizeIp(filter.sourceIp) };
}
