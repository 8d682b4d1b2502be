import {
  applyDecorators,
  Body,
  Controller,
  Delete,
  Get,
  Header,
  HttpCode,
  HttpStatus,
  Param,
  Post,
  Query,
  Res,
} from '@nestjs/common';
import {
  ApiAcceptedResponse,
  ApiBody,
  ApiConflictResponse,
  ApiCreatedResponse,
  ApiNoContentResponse,
  ApiNotFoundResponse,
  ApiOkResponse,
  ApiOperation,
  ApiParam,
  ApiPayloadTooLargeResponse,
  ApiProduces,
  ApiTags,
  ApiUnprocessableEntityResponse,
} from '@nestjs/swagger';
import { FastifyReply } from 'fastify';
import { ApiKeyOrSuperuser, CurrentUser, SuperuserOnly } from '../auth/guards/decorators';
import { BodyLimit } from '../common/body-limit';
import { ClientIp } from '../common/client-ip';
import { ErrorResponseDto } from '../common/error-response.dto';
import { ApiPagedResponse, withTotalCount } from '../common/total-count';
import { User } from '../database/entities/user.entity';
import { AllowlistService } from './allowlist.service';
import { BanIndexService } from './ban-index.service';
import { BouncerKeyApiKeyOrSuperuser } from './ban-export-access.guard';
import { BanService } from './ban.service';
import { DecisionsService } from './decisions.service';
import { CreateAllowlistEntryDto, CreateBanDto } from './dto/ban-requests.dto';
import { IngestResultDto } from './dto/events.dto';
import {
  DoorKnockQueryDto,
  ExportQueryDto,
  FailedRegistrationQueryDto,
  StatsQueryDto,
  TimelineQueryDto,
} from './dto/queries.dto';
import {
  AllowlistEntryDto,
  BanDto,
  CheckResultDto,
  DoorKnockDto,
  FailedRegistrationDto,
  StatsDto,
  TimelineBucketDto,
} from './dto/responses.dto';
import { EventBatchPipe, MAX_BATCH } from './event-batch.pipe';
import {
  DOOR_KNOCK_EVENT,
  DoorKnockEvent,
  FAILED_REGISTRATION_EVENT,
  FailedRegistrationEvent,
  SchemaObject,
} from './event-schemas';
import { MAX_TIMELINE_BUCKETS, SipEventsService } from './sip-events.service';
import { parseBigintIdOr404 } from '../common/id-param.pipes';
import { EventFilter } from './sip-events.repository';

/** A batch of MAX_BATCH events from the proxy is far over the 100 KiB every other route takes. */
const INGEST_BODY_LIMIT_BYTES = 16 * 1024 * 1024;

/** One event or an array of up to MAX_BATCH, as the OpenAPI document shows it. */
const ApiEventBatch = (schema: SchemaObject) =>
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

@ApiTags('SIP security')
@Controller('api/sip-security')
export class SipSecurityController {
  constructor(
    private readonly events: SipEventsService,
    private readonly bans: BanService,
    private readonly allowlist: AllowlistService,
    private readonly banIndex: BanIndexService,
    private readonly decisions: DecisionsService,
  ) {}

  @Post('failed-registrations')
  @BodyLimit(INGEST_BODY_LIMIT_BYTES)
  @HttpCode(HttpStatus.ACCEPTED)
  @ApiKeyOrSuperuser()
  @ApiOperation({ summary: 'Ingest failed REGISTERs from the proxy (401/407 challenges are ignored)' })
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
  @ApiOperation({ summary: 'Ingest door knocks (unknown domain, domain mismatch, flood, …) from the proxy' })
  @ApiEventBatch(DOOR_KNOCK_EVENT)
  ingestDoorKnocks(@Body(new EventBatchPipe(DOOR_KNOCK_EVENT)) events: DoorKnockEvent[]): Promise<IngestResultDto> {
    return this.events.ingestDoorKnocks(events);
  }

  @Get('failed-registrations')
  @SuperuserOnly()
  @ApiOperation({ summary: 'Failed registrations, newest first' })
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
  @ApiOperation({ summary: 'Door knocks, newest first' })
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
  @ApiOperation({ summary: 'Totals, by response code, by reason, and top sources with their ban state' })
  @ApiOkResponse({ type: StatsDto })
  @ApiUnprocessableEntityResponse({ description: 'Invalid since', type: ErrorResponseDto })
  async stats(@Query() query: StatsQueryDto): Promise<StatsDto> {
    return StatsDto.from(await this.events.stats(query.since));
  }

  @Get('stats/timeline')
  @SuperuserOnly()
  @ApiOperation({
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

  @Get('bans')
  @SuperuserOnly()
  @ApiOperation({ summary: 'Active bans, newest first' })
  @ApiOkResponse({ type: [BanDto] })
  async listBans(): Promise<BanDto[]> {
    return (await this.bans.listActive()).map((item) => BanDto.from(item));
  }

  @Get('bans/export')
  @BouncerKeyApiKeyOrSuperuser()
  @ApiOperation({
    summary:
      'Active bans for firewalls and the proxy: one CIDR a line (plain), JSON, an `nft -f` script or an `ipset restore` file',
  })
  @ApiProduces('text/plain', 'application/json')
  @ApiOkResponse({ description: 'plain: `203.0.113.7/32\\n…`; json: an array of bans; nftables / ipset: a script' })
  @ApiUnprocessableEntityResponse({ description: 'Unknown format', type: ErrorResponseDto })
  async exportBans(
    @Query() query: ExportQueryDto,
    @Res({ passthrough: true }) reply: FastifyReply,
  ): Promise<string | BanDto[]> {
    if (query.format === 'nftables' || query.format === 'ipset') {
      void reply.type('text/plain; charset=utf-8');
      return this.decisions.firewallScript(query.format);
    }
    const bans = (await this.bans.listActive()).map((item) => BanDto.from(item));
    if (query.format === 'json') {
      return bans;
    }
    void reply.type('text/plain; charset=utf-8');
    return bans.map((ban) => `${ban.cidr}\n`).join('');
  }

  @Post('bans')
  @SuperuserOnly()
  @ApiOperation({ summary: 'Ban a CIDR by hand, for a duration or until lifted' })
  @ApiCreatedResponse({ type: BanDto })
  @ApiUnprocessableEntityResponse({
    description:
      'Bad CIDR or duration, a CIDR wider than the minimum prefix without force, or one overlapping the allowlist',
    type: ErrorResponseDto,
  })
  async createBan(@Body() dto: CreateBanDto, @CurrentUser() actor: User, @ClientIp() ip: string): Promise<BanDto> {
    const request = {
      cidr: dto.cidr,
      reason: dto.reason,
      durationSeconds: dto.duration_seconds ?? null,
      force: dto.force ?? false,
    };
    return BanDto.from(await this.bans.createManual(request, { id: actor.id, ip }));
  }

  @Delete('bans/:id')
  @HttpCode(HttpStatus.NO_CONTENT)
  @SuperuserOnly()
  @ApiOperation({ summary: 'Lift a ban (it stays in the history)' })
  @ApiParam({ name: 'id', type: 'integer' })
  @ApiNoContentResponse({ description: 'Lifted' })
  @ApiNotFoundResponse({ description: 'No active ban with this id', type: ErrorResponseDto })
  liftBan(
    @Param('id', parseBigintIdOr404('Ban')) id: string,
    @CurrentUser() actor: User,
    @ClientIp() ip: string,
  ): Promise<void> {
    return this.bans.lift(id, { id: actor.id, ip });
  }

  @Get('allowlist')
  @SuperuserOnly()
  @ApiOperation({ summary: 'CIDRs never banned automatically' })
  @ApiOkResponse({ type: [AllowlistEntryDto] })
  async listAllowlist(): Promise<AllowlistEntryDto[]> {
    return (await this.allowlist.list()).map((item) => AllowlistEntryDto.from(item));
  }

  @Post('allowlist')
  @SuperuserOnly()
  @ApiOperation({ summary: 'Allowlist a CIDR (trunks, PBXs: allowlist them before flood checks bite)' })
  @ApiCreatedResponse({ type: AllowlistEntryDto })
  @ApiUnprocessableEntityResponse({
    description: 'Bad CIDR, or one wider than the minimum prefix without force',
    type: ErrorResponseDto,
  })
  @ApiConflictResponse({ description: 'Already allowlisted', type: ErrorResponseDto })
  async addToAllowlist(
    @Body() dto: CreateAllowlistEntryDto,
    @CurrentUser() actor: User,
    @ClientIp() ip: string,
  ): Promise<AllowlistEntryDto> {
    const request = { cidr: dto.cidr, description: dto.description, force: dto.force ?? false };
    return AllowlistEntryDto.from(await this.allowlist.add(request, { id: actor.id, ip }));
  }

  @Delete('allowlist/:id')
  @HttpCode(HttpStatus.NO_CONTENT)
  @SuperuserOnly()
  @ApiOperation({ summary: 'Remove an allowlist entry' })
  @ApiParam({ name: 'id', type: 'integer' })
  @ApiNoContentResponse({ description: 'Removed' })
  @ApiNotFoundResponse({ description: 'Unknown id', type: ErrorResponseDto })
  removeFromAllowlist(
    @Param('id', parseBigintIdOr404('Allowlist entry')) id: string,
    @CurrentUser() actor: User,
    @ClientIp() ip: string,
  ): Promise<void> {
    return this.allowlist.remove(id, { id: actor.id, ip });
  }

  @Get('check/:ip')
  @ApiKeyOrSuperuser()
  @Header('Cache-Control', 'no-store')
  @ApiOperation({ summary: 'Is this address banned? Answered from memory' })
  @ApiParam({ name: 'ip', example: '203.0.113.7' })
  @ApiOkResponse({ type: CheckResultDto })
  @ApiUnprocessableEntityResponse({ description: 'Not an IP address', type: ErrorResponseDto })
  check(@Param('ip') ip: string): CheckResultDto {
    return CheckResultDto.from(this.banIndex.check(ip));
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
