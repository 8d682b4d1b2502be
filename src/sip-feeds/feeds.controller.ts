import { Body, Controller, Delete, Get, HttpCode, HttpStatus, Param, Post } from '@nestjs/common';
import {
  ApiConflictResponse,
  ApiCreatedResponse,
  ApiNoContentResponse,
  ApiNotFoundResponse,
  ApiOkResponse,
  ApiOperation,
  ApiParam,
  ApiTags,
  ApiUnprocessableEntityResponse,
} from '@nestjs/swagger';
import { CurrentUser, SuperuserOnly } from '../auth/guards/decorators';
import { ClientIp } from '../common/client-ip';
import { ErrorResponseDto } from '../common/error-response.dto';
import { parseBigintIdOr404 } from '../common/id-param.pipes';
import { User } from '../database/entities/user.entity';
import { CreateFeedDto, FeedDetailDto, FeedDto } from './dto/feeds.dto';
import { FeedsService } from './feeds.service';

/** Outside ban lists (plain lists, APIBan, a CrowdSec decision stream) whose entries become bans. */
@ApiTags('SIP security')
@Controller('api/sip-security/feeds')
export class FeedsController {
  constructor(private readonly feeds: FeedsService) {}

  @Get()
  @SuperuserOnly()
  @ApiOperation({ operationId: 'FeedsController_list', summary: 'Feeds, with their last pull and entry counts' })
  @ApiOkResponse({ type: [FeedDto] })
  async list(): Promise<FeedDto[]> {
    return (await this.feeds.list()).map((feed) => FeedDto.from(feed));
  }

  @Get(':id')
  @SuperuserOnly()
  @ApiOperation({ operationId: 'FeedsController_get', summary: 'One feed, with the entries it could not ban' })
  @ApiParam({ name: 'id', type: 'integer' })
  @ApiOkResponse({ type: FeedDetailDto })
  @ApiNotFoundResponse({ description: 'Unknown id', type: ErrorResponseDto })
  async get(@Param('id', parseBigintIdOr404('Feed')) id: string): Promise<FeedDetailDto> {
    return FeedDetailDto.fromDetail(await this.feeds.get(id));
  }

  @Post()
  @SuperuserOnly()
  @ApiOperation({
    operationId: 'FeedsController_create',
    summary: 'Follow a feed: pulled at once, then every interval_seconds',
  })
  @ApiCreatedResponse({ type: FeedDto })
  @ApiUnprocessableEntityResponse({
    description: 'Bad field, an api_key missing (apiban, crowdsec) or not wanted (plain)',
    type: ErrorResponseDto,
  })
  @ApiConflictResponse({ description: 'A feed with this name exists', type: ErrorResponseDto })
  async create(@Body() dto: CreateFeedDto, @CurrentUser() actor: User, @ClientIp() ip: string): Promise<FeedDto> {
    const request = {
      name: dto.name,
      url: dto.url,
      format: dto.format,
      intervalSeconds: dto.interval_seconds,
      apiKey: dto.api_key ?? null,
      banDurationSeconds: dto.ban_duration_seconds ?? null,
    };
    return FeedDto.from(await this.feeds.create(request, { id: actor.id, ip }));
  }

  @Delete(':id')
  @HttpCode(HttpStatus.NO_CONTENT)
  @SuperuserOnly()
  @ApiOperation({ operationId: 'FeedsController_delete', summary: 'Stop following a feed and lift its bans' })
  @ApiParam({ name: 'id', type: 'integer' })
  @ApiNoContentResponse({ description: 'Deleted, its bans lifted' })
  @ApiNotFoundResponse({ description: 'Unknown id', type: ErrorResponseDto })
  delete(
    @Param('id', parseBigintIdOr404('Feed')) id: string,
    @CurrentUser() actor: User,
    @ClientIp() ip: string,
  ): Promise<void> {
    return this.feeds.delete(id, { id: actor.id, ip });
  }
}
