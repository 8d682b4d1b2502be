import { BeforeApplicationShutdown, Injectable, Logger, OnApplicationBootstrap } from '@nestjs/common';
import { AppConfig } from '../config/app-config';
import { InjectConfig } from '../config/config.module';
import { SignupNoticesService } from './signup-notices.service';

/**
 * With ADMIN_NOTIFY=digest, every instance looks about ten times per interval (between every 100 ms and
 * every 10 s) whether a digest is due; the database decides which instance sends it.
 */
@Injectable()
export class SignupDigestWorker implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private readonly logger = new Logger(SignupDigestWorker.name);
  private timer?: NodeJS.Timeout;
  private running?: Promise<void>;
  private failing = false;

  constructor(
    private readonly notices: SignupNoticesService,
    @InjectConfig() private readonly config: AppConfig,
  ) {}

  onApplicationBootstrap(): void {
    if (this.config.accountEmail.adminNotify !== 'digest') return;
    const periodMs = Math.min(Math.max(this.config.accountEmail.adminNotifyIntervalSeconds * 100, 100), 10_000);
    this.timer = setInterval(() => this.tick(), periodMs);
  }

  async beforeApplicationShutdown(): Promise<void> {
    clearInterval(this.timer);
    await this.running;
  }

  private tick(): void {
    this.running ??= this.notices
      .sendDigestIfDue()
      .then(() => {
        this.failing = false;
      })
      .catch((error: unknown) => {
        // The database is away: the queue waits in it, and a later tick sends. Said once per outage.
        if (!this.failing) this.logger.warn(`Cannot send the sign-up digest: ${String(error)}`);
        this.failing = true;
      })
      .finally(() => {
        this.running = undefined;
      });
  }
}
