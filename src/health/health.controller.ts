import { Controller, Get, ServiceUnavailableException } from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiServiceUnavailableResponse, ApiTags } from '@nestjs/swagger';
import { ErrorResponseDto } from '../common/error-response.dto';
import { ShutdownState } from '../common/shutdown-state';
import { HealthRepository } from './health.repository';

const DATABASE_TIMEOUT_MS = 2000;

@ApiTags('Health')
@Controller('health')
export class HealthController {
  constructor(
    private readonly health: HealthRepository,
    private readonly shutdown: ShutdownState,
  ) {}

  @Get()
  @ApiOperation({ summary: 'Liveness and database reachability' })
  @ApiOkResponse({ schema: { example: { status: 'ok', database: 'up' } } })
  @ApiServiceUnavailableResponse({
    description: 'The database does not answer, or the instance is shutting down (SHUTDOWN_DRAIN_DELAY_MS)',
    type: ErrorResponseDto,
  })
  async check(): Promise<{ status: 'ok'; database: 'up' }> {
    if (this.shutdown.draining) {
      throw new ServiceUnavailableException('Shutting down');
    }
    if (!(await this.health.databaseAnswersWithin(DATABASE_TIMEOUT_MS))) {
      throw new ServiceUnavailableException('Database unavailable');
    }
    return { status: 'ok', database: 'up' };
  }
}
