import { applyDecorators, Body, Controller, Get, HttpCode, HttpStatus, Post, Query, Res } from '@nestjs/common';
import {
  ApiAcceptedResponse,
  ApiBody,
  ApiOkResponse,
  ApiPayloadTooLargeResponse,
  ApiTags,
  ApiUnprocessableEntityResponse,
} from '@nestjs/swagger';
import { FastifyReply } from 'fastify';
import { ApiKeyOrSuperuser, SuperuserOnly } from '../auth/guards/decorators';
import { BodyLimit } from '../common/body-limit';
import { ErrorResponseDto } from '../common/error-response.dto';
import { ApiPagedResponse, withTotalCount } from '../common/total-count';
import { IngestResultDto } from './dto/events.dto';
import { DoorKnockQueryDto, FailedRegistrationQueryDto, StatsQueryDto, TimelineQueryDto } from './dto/queries.dto';
import { DoorKnockDto, FailedRegistrationDto, StatsDto, TimelineBucketDto } from './dto/responses.dto';
import { EventBatchPipe, MAX_BATCH } from './event-batch.pipe';
import {
  DOOR_KNOCK_EVENT,
  DoorKnockEvent,
  FAILED_REGISTRATION_EVENT,
  FailedRegistrationEvent,
  SchemaObject,
} from './event-schemas';
import { SipSecurityOperation } from './sip-security-operation';
import { EventFilter } from './sip-events.repository';
import { MAX_TIMELINE_BUCKETS, SipEventsService } from './sip-events.service';

/** A batch of MAX_BATCH events from the proxy is far over the 100 KiB every other route takes. */
export const INGEST_BODY_LIMIT_BYTES = 16 * 1024 * 1024;

/** One event or an array of up to MAX_BATCH, as the OpenAPI document shows it. */
export const ApiEventBatch = (schema: SchemaObject) =>
  applyDecorators(
    ApiBody({ schema: { oneOf: [schema, { type: 'array', items: schema, minItems: 1, maxItems: MAX_BATCH }] } }),
    ApiAcceptedResponse({ type: IngestResultDto }),
    ApiUnprocessableEntityResponse({
      description: 'An invalid event anywhere in the batch: nothing is stored',
      type: ErrorResponseDto,
    }),
    ApiPayloadTooLargeResponse({
      description:
        'A body over 16 MiB. The caller is checked from the headers first: without a right key or token the ' +
        'answer is 401, 403 or 429 before any of the body is read',
      type: ErrorResponseDto,
    }),
  );

/** The proxy's failed registrations and door knocks: their ingest, listings, totals and timeline. */
@ApiTags('SIP security')
@Controller('api/sip-security')
export class SipEventsController {
  constructor(private readonly events: SipEventsService) {}

  @Post('failed-registrations')
  @BodyLimit(INGEST_BODY_LIMIT_BYTES)
  @HttpCode(HttpStatus.ACCEPTED)
  @ApiKeyOrSuperuser()
  @SipSecurityOperation('ingestFailedRegistrations', {
    summary: 'Ingest failed REGISTERs from the proxy (401/407 challenges are ignored)',
  })
  @ApiEventBatch(FAILED_REGISTRATION_EVENT)
  ingestFailedRegistrations(
    @Body(new EventBatchPipe(FAILED_REGISTRATION_EVENT)) events: FailedRegistrationEvent[],
  ): Promise<IngestResultDto> {
    return this.events.ingestFailedRegistrations(events);
  }

  @Post('door-knocks')
  @BodyLimit(INGEST_BODY_LIMIT_BYTES)
  @HttpCode(HttpStatus.ACCEPTED)
  @ApiKeyOrSuperuser()
  @SipSecurityOperation('ingestDoorKnocks', {
    summary: 'Ingest door knocks (unknown domain, domain mismatch, flood, …) from the proxy',
  })
  @ApiEventBatch(DOOR_KNOCK_EVENT)
  ingestDoorKnocks(@Body(new EventBatchPipe(DOOR_KNOCK_EVENT)) events: DoorKnockEvent[]): Promise<IngestResultDto> {
    return this.events.ingestDoorKnocks(events);
  }

  @Get('failed-registrations')
  @SuperuserOnly()
  @SipSecurityOperation('listFailedRegistrations', { summary: 'Failed registrations, newest first' })
  @ApiPagedResponse(FailedRegistrationDto, undefined, { capped: true })
  @ApiUnprocessableEntityResponse({ description: 'Invalid filter or paging', type: ErrorResponseDto })
  async listFailedRegistrations(
    @Query() query: FailedRegistrationQueryDto,
    @Res({ passthrough: true }) reply: FastifyReply,
  ): Promise<FailedRegistrationDto[]> {
    const filter = { ...eventFilter(query), username: query.username, responseCode: query.response_code };
    return withTotalCount(reply, await this.events.listFailedRegistrations(filter)).map((item) =>
      FailedRegistrationDto.from(item),
    );
  }

  @Get('door-knocks')
  @SuperuserOnly()
  @SipSecurityOperation('listDoorKnocks', { summary: 'Door knocks, newest first' })
  @ApiPagedResponse(DoorKnockDto, undefined, { capped: true })
  @ApiUnprocessableEntityResponse({ description: 'Invalid filter or paging', type: ErrorResponseDto })
  async listDoorKnocks(
    @Query() query: DoorKnockQueryDto,
    @Res({ passthrough: true }) reply: FastifyReply,
  ): Promise<DoorKnockDto[]> {
    const filter = { ...eventFilter(query), reason: query.reason };
    return withTotalCount(reply, await this.events.listDoorKnocks(filter)).map((item) => DoorKnockDto.from(item));
  }

  @Get('stats')
  @SuperuserOnly()
  @SipSecurityOperation('stats', {
    summary: 'Totals, by response code, by reason, and top sources with their ban state',
  })
  @ApiOkResponse({ type: StatsDto })
  @ApiUnprocessableEntityResponse({ description: 'Invalid since', type: ErrorResponseDto })
  async stats(@Query() query: StatsQueryDto): Promise<StatsDto> {
    return StatsDto.from(await this.events.stats(query.since));
  }

  @Get('stats/timeline')
  @SuperuserOnly()
  @SipSecurityOperation('timeline', {
    summary: 'Failed registrations, door knocks and new bans per UTC hour or day, oldest first, empty buckets included',
  })
  @ApiOkResponse({ type: [TimelineBucketDto] })
  @ApiUnprocessableEntityResponse({
    description: `Invalid since, until or bucket; since not before until; more than ${MAX_TIMELINE_BUCKETS} buckets`,
    type: ErrorResponseDto,
  })
  async timeline(@Query() query: TimelineQueryDto): Promise<TimelineBucketDto[]> {
    const buckets = await this.events.timeline(query.bucket, query.since, query.until);
    return buckets.map((counts) => TimelineBucketDto.from(counts));
  }
}

/** The listings' common filters, from their wire names. */
function eventFilter(query: FailedRegistrationQueryDto | DoorKnockQueryDto): EventFilter {
  return {
    sourceIp: query.source_ip,
    domain: query.domain,
    since: query.since,
    until: query.until,
    skip: query.skip,
    limit: query.limit,
  };
}
