import { Delete, Get, HttpCode, HttpStatus, Param } from '@nestjs/common';
import { ApiNoContentResponse, ApiOkResponse, ApiOperation } from '@nestjs/swagger';
import { AdminUsersRoutes, CurrentSessionId, CurrentUser, UserIdParam } from '../auth/guards/decorators';
import { ClientIp } from '../common/client-ip';
import { parseIdOr404 } from '../common/id-param.pipes';
import { User } from '../database/entities/user.entity';
import { AdminSessionsService } from './admin-sessions.service';
import { SessionResponseDto } from './dto/session-response.dto';

@AdminUsersRoutes()
@UserIdParam()
export class AdminSessionsController {
  constructor(private readonly adminSessions: AdminSessionsService) {}

  @Get(':id/sessions')
  @ApiOperation({ summary: "A user's active sessions, newest first" })
  @ApiOkResponse({ type: [SessionResponseDto] })
  async list(
    @Param('id', parseIdOr404('User')) id: string,
    @CurrentSessionId() sessionId: string,
  ): Promise<SessionResponseDto[]> {
    const sessions = await this.adminSessions.list(id);
    return sessions.map((session) => SessionResponseDto.from(session, sessionId));
  }

  @Delete(':id/sessions')
  @HttpCode(HttpStatus.NO_CONTENT)
  @ApiOperation({ summary: 'Sign the user out everywhere: every session ends, its tokens stop at once' })
  @ApiNoContentResponse({ description: 'Every session of the user ended' })
  signOutEverywhere(
    @Param('id', parseIdOr404('User')) id: string,
    @CurrentUser() actor: User,
    @ClientIp() ip: string,
  ): Promise<void> {
    return this.adminSessions.signOutEverywhere(actor.id, id, ip);
  }
}
