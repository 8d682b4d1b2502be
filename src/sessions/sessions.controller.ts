import { Body, Controller, Delete, Get, HttpCode, HttpStatus, Param, Post, Req, Res } from '@nestjs/common';
import {
  ApiBody,
  ApiNoContentResponse,
  ApiNotFoundResponse,
  ApiOkResponse,
  ApiOperation,
  ApiParam,
  ApiTags,
  ApiUnauthorizedResponse,
  ApiUnprocessableEntityResponse,
} from '@nestjs/swagger';
import { FastifyReply, FastifyRequest } from 'fastify';
import { TokenResponseDto } from '../auth/dto/token-response.dto';
import { Authenticated, CurrentSessionId, CurrentUser } from '../auth/guards/decorators';
import { ClientIp } from '../common/client-ip';
import { ErrorResponseDto } from '../common/error-response.dto';
import { parseIdOr404 } from '../common/id-param.pipes';
import { User } from '../database/entities/user.entity';
import { RefreshDto } from './dto/refresh.dto';
import { SessionResponseDto } from './dto/session-response.dto';
import { clearRefreshCookie, deliverTokens, presentedRefreshToken, RefreshCookieHeader } from './refresh-cookie';
import { SessionTokensService } from './session-tokens.service';
import { SessionsService } from './sessions.service';

@ApiTags('Auth')
@Controller('api/auth')
export class SessionsController {
  constructor(
    private readonly sessions: SessionsService,
    private readonly sessionTokens: SessionTokensService,
  ) {}

  @Post('refresh')
  @HttpCode(HttpStatus.OK)
  @ApiOperation({
    summary: 'Exchange a refresh token for a new pair',
    description:
      'The presented refresh token is spent. Presenting a spent one again revokes its whole session (all its ' +
      'access and refresh tokens stop at once), except the token just spent, presented again by the same client ' +
      '(IP and User-Agent) within REFRESH_REUSE_GRACE seconds: that answers with the same successor refresh token ' +
      '(two tabs refreshing at once). Refreshing never extends the session past REFRESH_TOKEN_TTL from login.',
  })
  @RefreshCookieHeader()
  @ApiBody({ type: RefreshDto, required: false })
  @ApiOkResponse({ type: TokenResponseDto })
  @ApiUnauthorizedResponse({
    description: 'Unknown, spent, expired or revoked refresh token, or an inactive user',
    type: ErrorResponseDto,
  })
  @ApiUnprocessableEntityResponse({
    description: 'No refresh_token (outside cookie mode), or an unknown field',
    type: ErrorResponseDto,
  })
  async refresh(
    @Body() dto: RefreshDto,
    @ClientIp() ip: string,
    @Req() request: FastifyRequest,
    @Res({ passthrough: true }) reply: FastifyReply,
  ): Promise<TokenResponseDto> {
    const refreshToken = presentedRefreshToken(request, dto.refresh_token);
    const tokens = await this.sessionTokens.refresh(refreshToken, { ip, userAgent: request.headers['user-agent'] });
    return deliverTokens(request, reply, tokens);
  }

  @Post('logout')
  @HttpCode(HttpStatus.NO_CONTENT)
  @Authenticated()
  @ApiOperation({
    summary: 'End the session of this bearer token',
    description: 'Its access and refresh tokens stop at once; the refresh cookie, if any, is cleared.',
  })
  @ApiNoContentResponse({ description: 'Signed out' })
  async logout(
    @CurrentUser() user: User,
    @CurrentSessionId() sessionId: string,
    @ClientIp() ip: string,
    @Res({ passthrough: true }) reply: FastifyReply,
  ): Promise<void> {
    await this.sessions.logout(user.id, sessionId, ip);
    clearRefreshCookie(reply);
  }

  @Get('sessions')
  @Authenticated()
  @ApiOperation({ summary: "The user's active sessions, newest first" })
  @ApiOkResponse({ type: [SessionResponseDto] })
  async list(@CurrentUser() user: User, @CurrentSessionId() sessionId: string): Promise<SessionResponseDto[]> {
    const sessions = await this.sessions.listActive(user.id);
    return sessions.map((session) => SessionResponseDto.from(session, sessionId));
  }

  @Delete('sessions/:id')
  @HttpCode(HttpStatus.NO_CONTENT)
  @Authenticated()
  @ApiOperation({ summary: "End one of the user's sessions (its tokens stop at once)" })
  @ApiParam({ name: 'id', format: 'uuid' })
  @ApiNoContentResponse({ description: 'Session ended' })
  @ApiNotFoundResponse({
    description: "Unknown, malformed, already ended, or another user's session",
    type: ErrorResponseDto,
  })
  endOne(
    @Param('id', parseIdOr404('Session')) id: string,
    @CurrentUser() user: User,
    @ClientIp() ip: string,
  ): Promise<void> {
    return this.sessions.endOwn(user.id, id, ip);
  }
}
