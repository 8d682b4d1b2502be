import { Injectable, Logger, OnApplicationBootstrap, OnApplicationShutdown } from '@nestjs/common';
import { StatusService } from '../status/status.service';
import { LiveEventsRepository } from './live-events.repository';
import { LiveEvents } from './live-events.service';
import { errorMessage } from '../common/error-message';

/** How often the state events are computed while a stream is open on this instance. */
export const STATE_TICK_MS = 10_000;

/**
 * The state events, computed by each instance for its own streams (the counts are the same from every
 * instance, the status is the instance's own view): the SIP events of the last minute, and the status
 * summary. Nothing is computed while no console is connected; LiveHub sends only what changed.
 */
@Injectable()
export class LiveTicker implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger(LiveTicker.name);
  private timer?: NodeJS.Timeout;
  private running = false;

  constructor(
    private readonly events: LiveEvents,
    private readonly repository: LiveEventsRepository,
    private readonly status: StatusService,
  ) {}

  onApplicationBootstrap(): void {
    this.timer = setInterval(() => void this.tick(), STATE_TICK_MS);
    this.timer.unref();
  }

  onApplicationShutdown(): void {
    clearInterval(this.timer);
  }

  /** One computation of both state events, if a stream is open; ticks never overlap. */
  async tick(): Promise<void> {
    if (this.running || this.events.hub.size === 0) return;
    this.running = true;
    try {
      const [counts, report] = await Promise.all([
        this.repository.countSipEventsInLastMinute().catch(() => undefined),
        this.status.report(),
      ]);
      if (counts !== undefined) {
        this.events.publishLocal('sip_counts', {
          window_seconds: 60,
          failed_registrations: counts.failedRegistrations,
          door_knocks: counts.doorKnocks,
        });
      }
      this.events.publishLocal('status', { ok: report.problems.length === 0, problems: report.problems });
    } catch (error) {
      this.logger.warn(`live state not computed: ${errorMessage(error)}`);
    } finally {
      this.running = false;
    }
  }
}
