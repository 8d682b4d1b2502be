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
      'outbox, the ban engine’s lag, the database and Redis; `problems` says what is wrong in words. Always ' +
      '200, also while the database is down (that is one of the things it reports).',
  })
  @ApiOkResponse({ type: StatusDto })
  async get(): Promise<StatusDto> {
    return StatusDto.from(await this.status.report());
  }
}
