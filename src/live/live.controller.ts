import { Controller, Get, Req, Res } from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiProduces, ApiTags } from '@nestjs/swagger';
import { FastifyReply } from 'fastify';
import { bearerToken, AuthenticatedRequest } from '../auth/guards/jwt-auth.guard';
import { SuperuserOnly } from '../auth/guards/decorators';
import { LiveStreamService } from './live-stream.service';

@ApiTags('Admin - Console')
@Controller('api/admin/live')
@SuperuserOnly()
export class LiveController {
  constructor(private readonly streams: LiveStreamService) {}

  @Get()
  @ApiOperation({
    operationId: 'LiveController_stream',
    summary: "The console's live events (Server-Sent Events)",
    description:
      'A `text/event-stream` that stays open. Events, each `id:` (per instance), `event:` and a JSON `data:` ' +
      'line: `ban_created` {id, cidr, reason, source, created_at, expires_at}, `ban_lifted` {id, cidr, ' +
      'lifted_at}, `account_alert` (a SIP account alert), `signup_pending` {user_id, email, pending: whether ' +
      'it entered or left the queue}, `sip_counts` {window_seconds, failed_registrations, door_knocks} (events ' +
      'of the last minute, when they change, every 10 s at most), `status` {ok, problems} (as ' +
      '`GET /api/admin/status`, when it changes). A new stream is sent the latest `sip_counts` and `status` at ' +
      'once. An event of any instance of the service reaches the streams of every instance. A `: keepalive` ' +
      'comment comes every 15 s. The stream ends with `event: reauth` {reason} when the access token expires ' +
      '(`token_expired`) or stops being valid or a superuser’s: get a new token and reconnect. It may also ' +
      'end without one (the instance stops, events may have been missed, the client does not read): ' +
      'reconnect, and read again what the page shows. 503 while the instance is shutting down: retry.',
  })
  @ApiProduces('text/event-stream')
  @ApiOkResponse({ description: 'The event stream', content: { 'text/event-stream': { schema: { type: 'string' } } } })
  stream(@Req() request: AuthenticatedRequest, @Res() reply: FastifyReply): void {
    this.streams.assertAccepting();
    reply.hijack();
    this.streams.open(reply.raw, { token: bearerToken(request)!, expiresAtMs: request.tokenExpiresAtMs! });
  }
}
