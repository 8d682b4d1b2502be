import { Controller, Get, Query, Res } from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiTags, ApiUnprocessableEntityResponse } from '@nestjs/swagger';
import { FastifyReply } from 'fastify';
import { SuperuserOnly } from '../auth/guards/decorators';
import { ErrorResponseDto } from '../common/error-response.dto';
import { ApiPagedResponse, withTotalCount } from '../common/total-count';
import { AuditService } from './audit.service';
import { AuditEventResponseDto, AuditQueryDto } from './dto/audit.dto';

@ApiTags('Admin - Audit')
@Controller('api/admin/audit')
@SuperuserOnly()
@ApiUnprocessableEntityResponse({ description: 'Invalid paging or filter', type: ErrorResponseDto })
export class AuditController {
  constructor(private readonly audit: AuditService) {}

  @Get()
  @ApiOperation({
    summary: 'Stored security events, newest first',
    description:
      'Every security-log event, with the time of its log line: an admin action stored by the transaction ' +
      'of its change, any other event within about a second of its line. `actor_id` is the admin who acted ' +
      '(null, with `details.actor` "system", for a superuser made from ADMIN_EMAIL or by the CLI); ' +
      '`target_id` the user the event is about; `actor_email` and `target_email` their current addresses.',
  })
  @ApiPagedResponse(AuditEventResponseDto)
  async list(
    @Query() query: AuditQueryDto,
    @Res({ passthrough: true }) reply: FastifyReply,
  ): Promise<AuditEventResponseDto[]> {
    const page = await this.audit.list(
      {
        event: query.event,
        actorId: query.actor_id,
        targetId: query.target_id,
        ip: query.ip,
        since: query.since,
        until: query.until,
      },
      query.skip,
      query.limit,
    );
    return withTotalCount(reply, page).map((item) => AuditEventResponseDto.from(item));
  }

  @Get('events')
  @ApiOperation({
    summary: 'The names of the events the audit trail can hold',
    description: 'Every security-log event name this version writes, alphabetically: the values `event` filters on.',
  })
  @ApiOkResponse({ type: String, isArray: true, example: ['admin_action', 'login_failed', 'sip_ban_created'] })
  eventNames(): string[] {
    return this.audit.eventNames();
  }
}
