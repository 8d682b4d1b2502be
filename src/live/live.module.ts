import { Module } from '@nestjs/common';
import { AuthModule } from '../auth/auth.module';
import { StatusModule } from '../status/status.module';
import { LiveStreamService } from './live-stream.service';
import { LiveTicker } from './live-ticker.service';
import { LiveController } from './live.controller';

/** `GET /api/admin/live`: the console's event stream (events from LiveEventsModule, state from LiveTicker). */
@Module({
  imports: [AuthModule, StatusModule],
  controllers: [LiveController],
  providers: [LiveStreamService, LiveTicker],
})
export class LiveModule {}
