import { Module } from '@nestjs/common';
import { SessionRetentionService } from './session-retention.service';
import { SessionsRepository } from './sessions.repository';
import { SessionsService } from './sessions.service';

/**
 * Sessions as state: the table, its rules and its pruning. AuthModule imports this to open sessions at
 * login and check them per request; the HTTP routes, which need AuthModule's guards, live in
 * SessionRoutesModule so that neither module imports the other in a circle.
 */
@Module({
  providers: [SessionsRepository, SessionsService, SessionRetentionService],
  exports: [SessionsRepository, SessionsService],
})
export class SessionsModule {}
