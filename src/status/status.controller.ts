import { Controller, Get } from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { SuperuserOnly } from '../auth/guards/decorators';
import { StatusDto } from './dto/status.dto';
import { StatusService } from './status.service';

@ApiTags('Admin - Console')
@Controller('api/admin/status')
@SuperuserOnly()
export class StatusController {
  constructor(private readonly status: StatusService) {}

  @Get()
  @ApiOperation({
    operationId: 'StatusController_get',
    summary: 'The state of what the service depends on, as this instance sees it',
    description:
      'Each SIP proxy (in step, last push, last error), each bouncer key (last pull), each ban feed, the mail ' +
      'outbox, the ban engine’s lag, the database and Redis; `problems` says what is wrong in words. While ' +
      'the database is down, checking the token needs it, so this answers 503 as every route does; an open ' +
      '`GET /api/admin/live` stream still gets the `status` event that says so.',
  })
  @ApiOkResponse({ type: StatusDto })
  async get(): Promise<StatusDto> {
    return StatusDto.from(await this.status.report());
  }
}
