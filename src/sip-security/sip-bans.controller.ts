import { Body, Controller, Delete, Get, Header, HttpCode, HttpStatus, Param, Post, Query, Res } from '@nestjs/common';
import {
  ApiCreatedResponse,
  ApiNoContentResponse,
  ApiNotFoundResponse,
  ApiOkResponse,
  ApiParam,
  ApiProduces,
  ApiTags,
  ApiUnprocessableEntityResponse,
} from '@nestjs/swagger';
import { FastifyReply } from 'fastify';
import { ApiKeyOrSuperuser, CurrentUser, SuperuserOnly } from '../auth/guards/decorators';
import { ClientIp } from '../common/client-ip';
import { ErrorResponseDto } from '../common/error-response.dto';
import { parseBigintIdOr404 } from '../common/id-param.pipes';
import { ApiPagedResponse, withTotalCount } from '../common/total-count';
import { User } from '../database/entities/user.entity';
import { BanIndexService } from './ban-index.service';
import { BouncerKeyApiKeyOrSuperuser } from './ban-export-access.guard';
import { BanService } from './ban.service';
import { DecisionsService } from './decisions.service';
import { CreateBanDto } from './dto/ban-requests.dto';
import { BanListQueryDto, ExportQueryDto } from './dto/queries.dto';
import { BanDetailDto, BanDto, CheckResultDto } from './dto/responses.dto';
import { FIREWALL_TEXT_CONTENT_TYPE, toPlainList } from './firewall-export';
import { SipSecurityOperation } from './sip-security-operation';

/** Active bans: the listing, the firewall export, manual bans and lifts, and the in-memory check. */
@ApiTags('SIP security')
@Controller('api/sip-security')
export class SipBansController {
  constructor(
    private readonly bans: BanService,
    private readonly banIndex: BanIndexService,
    private readonly decisions: DecisionsService,
  ) {}

  @Get('bans')
  @SuperuserOnly()
  @SipSecurityOperation('listBans', {
    summary:
      'Bans of a state, newest first: the active ones (default, all of them unless limit is given), or the history',
  })
  @ApiPagedResponse(BanDto)
  @ApiUnprocessableEntityResponse({ description: 'Unknown state, or bad paging', type: ErrorResponseDto })
  async listBans(@Query() query: BanListQueryDto, @Res({ passthrough: true }) reply: FastifyReply): Promise<BanDto[]> {
    const page = await this.bans.list(query.state, query.skip, query.limit);
    const now = new Date();
    return withTotalCount(reply, page).map((item) => BanDto.from(item, now));
  }

  @Get('bans/export')
  @BouncerKeyApiKeyOrSuperuser()
  @SipSecurityOperation('exportBans', {
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
      void reply.type(FIREWALL_TEXT_CONTENT_TYPE);
      return this.decisions.firewallScript(query.format);
    }
    const bans = await this.bans.listActive();
    if (query.format === 'json') {
      return bans.map((item) => BanDto.from(item));
    }
    void reply.type(FIREWALL_TEXT_CONTENT_TYPE);
    return toPlainList(bans);
  }

  @Get('bans/:id')
  @SuperuserOnly()
  @SipSecurityOperation('getBan', {
    summary: 'One ban, whatever its state, with the evidence of an automatic ban: why it was made',
  })
  @ApiParam({ name: 'id', type: 'integer' })
  @ApiOkResponse({ type: BanDetailDto })
  @ApiNotFoundResponse({ description: 'No ban with this id', type: ErrorResponseDto })
  async getBan(@Param('id', parseBigintIdOr404('Ban')) id: string): Promise<BanDetailDto> {
    return BanDetailDto.fromDetail(await this.bans.find(id));
  }

  @Post('bans')
  @SuperuserOnly()
  @SipSecurityOperation('createBan', { summary: 'Ban a CIDR by hand, for a duration or until lifted' })
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
  @SipSecurityOperation('liftBan', { summary: 'Lift a ban (it stays in the history)' })
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

  @Get('check/:ip')
  @ApiKeyOrSuperuser()
  @Header('Cache-Control', 'no-store')
  @SipSecurityOperation('check', { summary: 'Is this address banned? Answered from memory' })
  @ApiParam({ name: 'ip', example: '203.0.113.7' })
  @ApiOkResponse({ type: CheckResultDto })
  @ApiUnprocessableEntityResponse({ description: 'Not an IP address', type: ErrorResponseDto })
  check(@Param('ip') ip: string): CheckResultDto {
    return CheckResultDto.from(this.banIndex.check(ip));
  }
}
