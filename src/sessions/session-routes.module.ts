import { Module } from '@nestjs/common';
import { AuthModule } from '../auth/auth.module';
import { AdminSessionsController } from './admin-sessions.controller';
import { AdminSessionsService } from './admin-sessions.service';
import { SessionTokensService } from './session-tokens.service';
import { SessionsController } from './sessions.controller';
import { SessionsModule } from './sessions.module';

/** The session routes: refresh, logout, the user's own sessions and the admins' view (see SessionsModule). */
@Module({
  imports: [AuthModule, SessionsModule],
  controllers: [SessionsController, AdminSessionsController],
  providers: [SessionTokensService, AdminSessionsService],
})
export class SessionRoutesModule {}
