import { Controller, Get, Query, Res } from '@nestjs/common';
import { ApiOperation, ApiTags, ApiUnprocessableEntityResponse } from '@nestjs/swagger';
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
      'Every security-log event, stored within about a second of its log line. `actor_id` is the admin who ' +
      'acted; `target_id` the user the event is about.',
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
}
