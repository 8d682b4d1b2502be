import { Controller, Get, Header, Query, Req, UseGuards } from '@nestjs/common';
import {
  ApiOkResponse,
  ApiOperation,
  ApiSecurity,
  ApiTags,
  ApiUnauthorizedResponse,
  ApiUnprocessableEntityResponse,
} from '@nestjs/swagger';
import { API_KEY_SECURITY } from '../common/api-key-security';
import { ErrorResponseDto } from '../common/error-response.dto';
import { BouncerKeyGuard, BouncerRequest } from './bouncer-key.guard';
import { DecisionsService } from './decisions.service';
import { DecisionDto, DecisionsQueryDto, DecisionStreamDto, DecisionStreamQueryDto } from './dto/decisions.dto';

/** CrowdSec's Local API routes that bouncers call, so stock bouncers enforce regshield's bans unchanged. */
@ApiTags('CrowdSec bouncer API')
@Controller('v1/decisions')
@UseGuards(BouncerKeyGuard)
@ApiSecurity(API_KEY_SECURITY)
@ApiUnauthorizedResponse({ description: 'Missing, unknown or revoked bouncer key', type: ErrorResponseDto })
export class DecisionsController {
  constructor(private readonly decisions: DecisionsService) {}

  @Get('stream')
  @Header('Cache-Control', 'no-store')
  @ApiOperation({ summary: 'Bans new and ended since this bouncer last pulled (startup=true: every active ban)' })
  @ApiOkResponse({ type: DecisionStreamDto })
  @ApiUnprocessableEntityResponse({ description: 'startup is not true or false', type: ErrorResponseDto })
  stream(@Query() query: DecisionStreamQueryDto, @Req() request: BouncerRequest): Promise<DecisionStreamDto> {
    return this.decisions.stream(request.bouncerId!, query.startup);
  }

  @Get()
  @Header('Cache-Control', 'no-store')
  @ApiOperation({ summary: 'Active bans covering an address (all active bans without ip)' })
  @ApiOkResponse({ type: [DecisionDto] })
  @ApiUnprocessableEntityResponse({ description: 'ip is not an IP address', type: ErrorResponseDto })
  covering(@Query() query: DecisionsQueryDto): Promise<DecisionDto[]> {
    return this.decisions.covering(query.ip);
  }
}
