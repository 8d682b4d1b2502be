import { Body, Controller, HttpCode, HttpStatus, Post } from '@nestjs/common';
import { ApiOperation, ApiTags } from '@nestjs/swagger';
import { ApiKeyOrSuperuser } from '../auth/guards/decorators';
import { BodyLimit } from '../common/body-limit';
import { IngestResultDto } from '../sip-security/dto/events.dto';
import { EventBatchPipe } from '../sip-security/event-batch.pipe';
import { REGISTRATION_SUCCESS_EVENT, RegistrationSuccessEvent } from '../sip-security/event-schemas';
import { ApiEventBatch, INGEST_BODY_LIMIT_BYTES } from '../sip-security/sip-events.controller';
import { RegistrationIngestService } from './registration-ingest.service';

/** Successful registrations from a proxy that reports through the API (kamailio.cfg writes its own rows). */
@ApiTags('SIP accounts')
@Controller('api/sip-security')
export class RegistrationsController {
  constructor(private readonly ingest: RegistrationIngestService) {}

  @Post('registrations')
  @BodyLimit(INGEST_BODY_LIMIT_BYTES)
  @HttpCode(HttpStatus.ACCEPTED)
  @ApiKeyOrSuperuser()
  @ApiOperation({
    summary:
      'Ingest successful REGISTERs (one per account and source per report interval); each is checked for ' +
      'credential compromise and a new network within a second',
  })
  @ApiEventBatch(REGISTRATION_SUCCESS_EVENT)
  ingestRegistrations(
    @Body(new EventBatchPipe(REGISTRATION_SUCCESS_EVENT)) events: RegistrationSuccessEvent[],
  ): Promise<IngestResultDto> {
    return this.ingest.ingest(events);
  }
}
