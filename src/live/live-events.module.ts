import { Global, Module } from '@nestjs/common';
import { LiveEventsRepository } from './live-events.repository';
import { LiveEvents } from './live-events.service';

/**
 * LiveEvents, global so that any feature can publish to the console's live stream without importing this
 * module (and without depending on what the stream's own module imports).
 */
@Global()
@Module({ providers: [LiveEvents, LiveEventsRepository], exports: [LiveEvents, LiveEventsRepository] })
export class LiveEventsModule {}
